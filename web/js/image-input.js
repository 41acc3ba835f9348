// Decoding what the user gives (a file, a pasted or dropped image, a demo URL) into RGBA
// pixels with the browser's own decoders; the engine then resizes and normalises them.
const MAX_SIDE = 2048;  // larger images are downscaled here, with a note

export async function decodeImage(source) {
  let bitmap;
  try {
    const blob = typeof source === 'string' ? await (await fetch(source)).blob() : source;
    bitmap = await createImageBitmap(blob);
  } catch (e) {
    throw new Error(`cannot read this image (${(e && e.message) || e}); use PNG, JPEG, GIF, BMP or WebP`);
  }
  let { width, height } = bitmap;
  let note = '';
  if (Math.max(width, height) > MAX_SIDE) {
    const s = MAX_SIDE / Math.max(width, height);
    note = `downscaled from ${width}×${height}`;
    width = Math.round(width * s);
    height = Math.round(height * s);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  return { rgba: new Uint8Array(data.buffer), width, height, bitmap, note };
}

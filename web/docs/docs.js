// Renders the Markdown pages in web/docs/ (generated tables and hand-written guides) with
// marked, copied into web/vendor/ at build time. ?page=NAME shows NAME.md.
import { marked } from '../vendor/marked.esm.js';

const pages = new Set(['operators', 'methods', 'metrics', 'results']);
const params = new URLSearchParams(location.search);
const page = pages.has(params.get('page')) ? params.get('page') : 'operators';
const article = document.querySelector('[data-testid="doc"]');

try {
  const response = await fetch(`${page}.md`);
  if (!response.ok) throw new Error(`${page}.md: ${response.status}`);
  article.innerHTML = marked.parse(await response.text());
  document.title = `${article.querySelector('h1')?.textContent || page} — heatlens`;
} catch (e) {
  article.textContent = `error: ${e.message}`;
}

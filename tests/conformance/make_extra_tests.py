#!/usr/bin/python3
"""Writes node tests, in the ONNX backend-test layout, for operator variants that Debian's
libonnx-testdata does not cover (Cast between float32 and int32/int64). Expected outputs come
from numpy, as the ONNX test generator computes them.

Run by hand with Debian's Python (python3-onnx, python3-numpy); the files are committed:
    /usr/bin/python3 tests/conformance/make_extra_tests.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extra")


def value_info(name, array):
    return helper.make_tensor_value_info(name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[array.dtype], array.shape)


def write_test(name, node, inputs, outputs, opset=13):
    graph = helper.make_graph(
        [node], name,
        [value_info(n, v) for n, v in inputs],
        [value_info(n, v) for n, v in outputs])
    model = helper.make_model(graph, producer_name="heatlens-extra-tests",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    folder = os.path.join(HERE, name)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for i, (n, v) in enumerate(inputs):
        with open(os.path.join(folder, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())
    for i, (n, v) in enumerate(outputs):
        with open(os.path.join(folder, "test_data_set_0", f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())


rng = np.random.default_rng(0)
x = (rng.standard_normal((3, 4)) * 10).astype(np.float32)
x[0, 0], x[0, 1] = -2.5, 2.5  # truncation toward zero
write_test("test_cast_FLOAT_to_INT64", helper.make_node("Cast", ["x"], ["y"], to=TensorProto.INT64),
           [("x", x)], [("y", x.astype(np.int64))])
write_test("test_cast_FLOAT_to_INT32", helper.make_node("Cast", ["x"], ["y"], to=TensorProto.INT32),
           [("x", x)], [("y", x.astype(np.int32))])
i = rng.integers(-1000, 1000, size=(2, 5)).astype(np.int64)
write_test("test_cast_INT64_to_FLOAT", helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT),
           [("x", i)], [("y", i.astype(np.float32))])
write_test("test_cast_FLOAT_to_FLOAT", helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT),
           [("x", x)], [("y", x)])
print("wrote", sorted(os.listdir(HERE)))

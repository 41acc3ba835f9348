// The CLI's commands; each returns the process exit code (0 ok, 1 test failure, 2 bad input).
#pragma once

namespace heatlens::cli {

int cmd_info(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_onnx_test(int argc, char** argv);
int cmd_ops(int argc, char** argv);
int cmd_explain(int argc, char** argv);
int cmd_methods(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_metrics(int argc, char** argv);

}  // namespace heatlens::cli

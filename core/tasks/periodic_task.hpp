#pragma once
// The sum of sines of FORCE learning (docs/tasks.md), and the protocol keys the stream tasks
// share (stream_tasks.cpp), which it uses too.
#include <string>
#include <vector>

#include "tasks/tasks.hpp"

namespace ransim {

// warmup, train, validation, test (tokens), with the task's defaults.
std::vector<ParamSpec> protocol_specs(std::int64_t warmup, std::int64_t train, std::int64_t test);
Protocol read_protocol(const Params& p);
// mode (one_step | free_run) and horizon; read_forecast fills `protocol` and returns the horizon.
std::vector<ParamSpec> forecast_specs();
std::size_t read_forecast(const Params& p, Protocol& protocol, const std::string& task);

// s(k) = amplitude / 1.5 (sin(w k) + sin(2 w k) / 2 + sin(3 w k) / 6 + sin(4 w k) / 3),
// w = 2 pi / period: the periodic target of Sussillo & Abbott's FORCE example, in tokens.
double sum_of_sines(double k, double period, double amplitude);
TaskInfo sum_of_sines_info();

}  // namespace ransim

#include "engine/backend.h"

#include <nlohmann/json.hpp>

namespace heatlens {

std::string BackendStats::json() const {
  nlohmann::json j;
  j["device_nodes"] = device_nodes;
  j["cpu_nodes"] = cpu_nodes;
  j["fallbacks"] = fallbacks;
  j["uploads"] = uploads;
  j["downloads"] = downloads;
  j["bytes_up"] = bytes_up;
  j["bytes_down"] = bytes_down;
  return j.dump();
}

}  // namespace heatlens

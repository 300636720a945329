// Reads the line format written by fixtures_to_txt.py: cases of named arrays (shape + values) and
// strings, so the C++ kernel tests can loop over the JSON reference fixtures.
#pragma once
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fixture {

struct Array {
  std::vector<size_t> shape;
  std::vector<double> values;
};

struct Case {
  int index = 0;
  std::map<std::string, Array> arrays;
  std::map<std::string, std::string> strings;
  bool has(const std::string& k) const { return arrays.count(k) != 0; }
  const Array& at(const std::string& k) const { return arrays.at(k); }
  const std::vector<double>& vec(const std::string& k) const { return arrays.at(k).values; }
  double num(const std::string& k) const { return arrays.at(k).values.at(0); }
  std::string str(const std::string& k) const {
    auto it = strings.find(k);
    return it == strings.end() ? std::string() : it->second;
  }
};

inline std::vector<Case> load(const std::string& path) {
  std::vector<Case> cases;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string name;
    ss >> name;
    if (name == "case") {
      cases.emplace_back();
      ss >> cases.back().index;
    } else if (name == "str") {
      std::string key, value;
      ss >> key >> value;
      cases.back().strings[key] = value;
    } else if (!name.empty() && name != "end") {
      Array a;
      size_t ndim = 0, total = 1;
      ss >> ndim;
      a.shape.resize(ndim);
      for (auto& d : a.shape) ss >> d, total *= d;
      a.values.resize(total);
      for (auto& v : a.values) ss >> v;
      cases.back().arrays[name] = std::move(a);
    }
  }
  return cases;
}

}  // namespace fixture

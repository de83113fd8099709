#include "study/compare_figures.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "study/chart.hpp"
#include "study/sweep.hpp"
#include "study/sweep_chart.hpp"

namespace ransim {

namespace {

std::string metric_label(const CompareRow& row) {
  return row.metric + (row.higher_is_better ? " (higher is better)" : " (lower is better)");
}

bool error_metric(const std::string& metric) {
  return metric.rfind("nrmse", 0) == 0 || metric.rfind("mse", 0) == 0;
}

// The swept (not derived) keys of a model that take more than one value, in sweep order,
// each with its values in order of appearance.
std::vector<std::pair<std::string, std::vector<std::string>>> axes(const CompareConfig& cfg,
                                                                   const std::string& model) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (auto& run : cfg.runs) {
    if (run.model != model || run.trial >= 0) continue;  // a search's trials are no axes
    for (auto& v : run.point) {
      if (v.derived) continue;
      auto it = std::find_if(out.begin(), out.end(), [&](auto& a) { return a.first == v.key; });
      if (it == out.end()) it = out.insert(out.end(), {v.key, {}});
      if (std::find(it->second.begin(), it->second.end(), v.value) == it->second.end())
        it->second.push_back(v.value);
    }
  }
  std::erase_if(out, [](auto& a) { return a.second.size() < 2; });
  return out;
}

std::string value_of(const std::vector<SweepValue>& point, const std::string& key) {
  for (auto& v : point)
    if (v.key == key) return v.value;
  return "";
}

void bar_chart(const CompareConfig& cfg, const CompareResult& r, const std::string& prefix) {
  Chart chart;
  chart.title = cfg.description.empty() ? cfg.path : cfg.description;
  chart.models = cfg.models;
  for (auto& task : cfg.tasks) {
    ChartPanel panel;
    panel.title = task;
    for (auto& model : cfg.models) {
      double mean = NAN, sd = 0;
      for (auto& row : r.rows)
        if (row.task == task && row.model == model) {
          mean = row.mean;
          sd = row.std;
          panel.metric = metric_label(row);
          panel.log_scale = error_metric(row.metric);
        }
      panel.mean.push_back(mean);
      panel.stddev.push_back(sd);
    }
    chart.panels.push_back(panel);
  }
  write_chart(chart, prefix + ".png", prefix + ".svg");
}

// One panel per (model, task, values of the keys beyond the first two).
std::vector<HeatMapPanel> heat_maps(const CompareConfig& cfg, const CompareResult& r) {
  std::vector<HeatMapPanel> panels;
  for (auto& model : cfg.models) {
    const auto ax = axes(cfg, model);
    if (ax.size() < 2) continue;
    const auto& [x_key, x_values] = ax[0];
    const auto& [y_key, y_values] = ax[1];
    for (auto& task : cfg.tasks) {
      std::map<std::string, HeatMapPanel> by_rest;  // keyed by the further keys' values
      std::vector<std::string> order;
      for (auto& row : r.rows) {
        if (row.model != model || row.task != task) continue;
        std::string rest;
        for (std::size_t k = 2; k < ax.size(); ++k)
          rest += ", " + ax[k].first + " = " + shown(value_of(row.point, ax[k].first));
        auto [it, fresh] = by_rest.try_emplace(rest);
        HeatMapPanel& p = it->second;
        if (fresh) {
          order.push_back(rest);
          p.title = model + ": " + task + rest;
          p.x_label = x_key;
          p.y_label = y_key;
          for (auto& v : x_values) p.x_ticks.push_back(shown(v));
          for (auto& v : y_values) p.y_ticks.push_back(shown(v));
          p.value.assign(x_values.size() * y_values.size(), NAN);
          p.parameters.assign(p.value.size(), NAN);
          p.metric = metric_label(row);
          p.higher_is_better = row.higher_is_better;
        }
        const auto ix =
            std::find(x_values.begin(), x_values.end(), value_of(row.point, x_key)) - x_values.begin();
        const auto iy =
            std::find(y_values.begin(), y_values.end(), value_of(row.point, y_key)) - y_values.begin();
        const std::size_t cell =
            static_cast<std::size_t>(iy) * x_values.size() + static_cast<std::size_t>(ix);
        p.value[cell] = row.mean;
        if (row.seed_parameters) p.parameters[cell] = static_cast<double>(row.seed_parameters);
      }
      for (auto& rest : order) {
        HeatMapPanel& p = by_rest[rest];
        // Contours need every cell's count; a model without attention units has none.
        if (std::any_of(p.parameters.begin(), p.parameters.end(), [](double v) { return std::isnan(v); }))
          p.parameters.clear();
        panels.push_back(std::move(p));
      }
    }
  }
  return panels;
}

// One panel per (task, key) that some models sweep alone; one line per such model.
std::vector<LinePanel> line_plots(const CompareConfig& cfg, const CompareResult& r) {
  std::vector<LinePanel> panels;
  std::vector<std::pair<std::string, std::vector<std::string>>> keys;  // key, its models
  for (auto& model : cfg.models) {
    const auto ax = axes(cfg, model);
    if (ax.size() != 1) continue;
    auto it = std::find_if(keys.begin(), keys.end(), [&](auto& k) { return k.first == ax[0].first; });
    if (it == keys.end()) it = keys.insert(keys.end(), {ax[0].first, {}});
    it->second.push_back(model);
  }
  for (auto& task : cfg.tasks)
    for (auto& [key, models] : keys) {
      LinePanel p;
      p.title = task;
      p.x_label = key;
      std::vector<std::string> values;  // as written, in order of appearance
      for (auto& run : cfg.runs)
        if (run.task == task && std::find(models.begin(), models.end(), run.model) != models.end()) {
          const std::string v = value_of(run.point, key);
          if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
        }
      for (auto& v : values) p.x_ticks.push_back(shown(v));
      for (auto& model : models) {
        p.series.push_back(model);
        p.mean.emplace_back(values.size(), NAN);
        p.stddev.emplace_back(values.size(), 0.0);
        for (auto& row : r.rows) {
          if (row.model != model || row.task != task) continue;
          const auto i = static_cast<std::size_t>(
              std::find(values.begin(), values.end(), value_of(row.point, key)) - values.begin());
          p.mean.back()[i] = row.mean;
          p.stddev.back()[i] = row.std;
          p.metric = metric_label(row);
          p.log_y = error_metric(row.metric);
        }
      }
      panels.push_back(std::move(p));
    }
  return panels;
}

}  // namespace

std::vector<std::string> write_compare_figures(const CompareConfig& cfg, const CompareResult& r,
                                               const std::string& prefix) {
  const std::string title = cfg.description.empty() ? cfg.path : cfg.description;
  const bool swept = std::any_of(cfg.runs.begin(), cfg.runs.end(),
                                 [](auto& run) { return !run.point.empty() && run.trial < 0; });
  std::vector<std::string> written;
  if (!swept) {
    bar_chart(cfg, r, prefix);
    return {prefix + ".png", prefix + ".svg"};
  }
  if (const auto panels = heat_maps(cfg, r); !panels.empty()) {
    write_heat_maps(panels, title, prefix + "_heatmap.png", prefix + "_heatmap.svg");
    written.insert(written.end(), {prefix + "_heatmap.png", prefix + "_heatmap.svg"});
  }
  if (const auto panels = line_plots(cfg, r); !panels.empty()) {
    write_line_plots(panels, title, prefix + "_lines.png", prefix + "_lines.svg");
    written.insert(written.end(), {prefix + "_lines.png", prefix + "_lines.svg"});
  }
  return written;
}

}  // namespace ransim

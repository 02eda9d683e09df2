// Draws the supervisor dashboard's charts with ECharts from the JSON data block
// the page carries. The tables under the charts hold the same figures.
(function () {
  "use strict";

  var SATISFACTION_COLOURS = { very_satisfied: "#1e7b34", satisfied: "#6ab04c", neutral: "#f0a500", unsatisfied: "#b42318" };
  var GRADE_COLOURS = { A: "#1e7b34", B: "#6ab04c", C: "#f0a500", D: "#b42318" };
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el);
    // Lets people (and the browser test) tell a drawn chart from an empty box.
    chart.on("finished", function () { el.setAttribute("data-rendered", "true"); });
    chart.setOption(option);
    charts.push(chart);
  }

  function empty(text) {
    return { title: { text: text, left: "center", top: "middle", textStyle: { color: "#5f6b7a", fontSize: 14, fontWeight: "normal" } } };
  }

  function trend(data) {
    var weeks = data.period.weeks;
    if (!data.category_trend.length) { return empty("统计期内没有受理的投诉"); }
    return {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: weeks },
      yAxis: { type: "value", minInterval: 1, name: "件" },
      series: data.category_trend.map(function (c) {
        return { name: c.name, type: "bar", stack: "total", emphasis: { focus: "series" }, data: c.counts };
      })
    };
  }

  function ranking(data) {
    if (!data.ranking.length) { return empty("统计期内没有可评价的单位"); }
    // Lowest score at the top: the bodies that need attention first.
    var rows = data.ranking.slice().sort(function (a, b) { return a.score - b.score; }).slice(0, 20).reverse();
    return {
      tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + p.value + " 分（" + p.data.grade + " " + p.data.gradeName + "）"; } },
      grid: { left: 8, right: 40, top: 8, bottom: 24, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: { type: "category", data: rows.map(function (c) { return c.body_short; }) },
      series: [{
        type: "bar",
        label: { show: true, position: "right" },
        data: rows.map(function (c) {
          return { value: c.score, grade: c.grade, gradeName: c.grade_name, itemStyle: { color: GRADE_COLOURS[c.grade] || "#0b5cad" } };
        })
      }]
    };
  }

  function heat(data) {
    var cells = data.overdue_heat.cells;
    if (!cells.length) { return empty("统计期内没有错过时限的工单"); }
    var max = Math.max.apply(null, cells.map(function (c) { return c[2]; }));
    return {
      tooltip: { position: "top", formatter: function (p) {
        return data.overdue_heat.bodies[p.value[1]] + "，" + data.period.weeks[p.value[0]] + "那周：" + p.value[2] + " 件";
      } },
      grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
      xAxis: { type: "category", data: data.period.weeks, splitArea: { show: true } },
      yAxis: { type: "category", data: data.overdue_heat.bodies, splitArea: { show: true } },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                   inRange: { color: ["#fff6e0", "#f0a500", "#b42318"] } },
      series: [{ type: "heatmap", data: cells, label: { show: true } }]
    };
  }

  function satisfaction(data) {
    var rated = data.satisfaction.filter(function (s) { return s.value > 0; });
    if (!rated.length) { return empty("统计期内还没有回访评价"); }
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c} 件（{d}%）" },
      legend: { bottom: 0 },
      series: [{
        type: "pie", radius: ["40%", "70%"], label: { formatter: "{b}\n{c} 件" },
        data: data.satisfaction.map(function (s) { return { name: s.name, value: s.value, itemStyle: { color: SATISFACTION_COLOURS[s.code] } }; })
      }]
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var block = document.getElementById("dashboard-data");
    if (!block || !window.echarts) { return; }
    var data = JSON.parse(block.textContent);
    draw("chart-trend", trend(data));
    draw("chart-ranking", ranking(data));
    draw("chart-heat", heat(data));
    draw("chart-satisfaction", satisfaction(data));
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
}());

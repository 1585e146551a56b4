// Apache ECharts, tree-shaken: only the charts and components the portal
// draws, with the SVG renderer (sharp when printed). Loaded on demand by the
// pages that draw charts (a separate chunk).
import * as echarts from 'echarts/core';
import { BarChart, LineChart, FunnelChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent, MarkLineComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, FunnelChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, SVGRenderer]);

const PALETTE = ['#b71c1c', '#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#455a64'];
const charts = new Set();

function init(el, label) {
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  const c = echarts.init(el, null, { renderer: 'svg' });
  charts.add(c);
  return c;
}

window.addEventListener('resize', () => { for (const c of charts) if (!c.isDisposed()) c.resize(); });
window.addEventListener('beforeprint', () => { for (const c of charts) if (!c.isDisposed()) c.resize(); });

export function disposeAll() {
  for (const c of charts) c.dispose();
  charts.clear();
}

// Bars, optionally horizontal, stacked and with a labelled vertical/horizontal
// line (the pass line).
export function bars(el, { label, categories, series, horizontal = false, line = null, stack = false, max = null }) {
  const c = init(el, label);
  const catAxis = { type: 'category', data: categories, axisLabel: { interval: 0, width: horizontal ? 120 : 80, overflow: 'truncate' } };
  const valAxis = { type: 'value', max: max ?? undefined, minInterval: 1 };
  c.setOption({
    color: PALETTE,
    animation: false,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: series.length > 1 ? { top: 0 } : undefined,
    grid: { left: horizontal ? 130 : 40, right: 30, top: series.length > 1 ? 30 : 10, bottom: horizontal ? 20 : 60, containLabel: false },
    xAxis: horizontal ? valAxis : catAxis,
    yAxis: horizontal ? { ...catAxis, inverse: true } : valAxis,
    series: series.map((s, i) => ({
      type: 'bar', name: s.name, data: s.data, stack: stack ? 'all' : undefined,
      label: { show: !stack, position: horizontal ? 'right' : 'top' },
      itemStyle: s.color ? { color: s.color } : undefined,
      markLine: i === 0 && line ? {
        symbol: 'none', silent: true, lineStyle: { color: '#000', type: 'dashed', width: 2 },
        label: { formatter: line.label, position: 'end' },
        data: [horizontal ? { xAxis: line.value } : { yAxis: line.value }],
      } : undefined,
    })),
  });
  return c;
}

export function funnel(el, { label, data }) {
  const c = init(el, label);
  c.setOption({
    color: PALETTE,
    animation: false,
    tooltip: { trigger: 'item' },
    series: [{
      type: 'funnel', sort: 'none', left: '5%', width: '90%', top: 10, bottom: 10, minSize: '8%', gap: 2,
      label: { show: true, position: 'inside', formatter: '{b}: {c}', color: '#fff', textBorderWidth: 0 },
      data,
    }],
  });
  return c;
}

// Lines over time (progress) against a step line (milestones).
export function lines(el, { label, series, yMax = 100 }) {
  const c = init(el, label);
  c.setOption({
    color: PALETTE,
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 20, top: 30, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', max: yMax, axisLabel: { formatter: '{value}%' } },
    series: series.map((s) => ({ type: 'line', name: s.name, data: s.data, step: s.step ? 'end' : undefined, lineStyle: s.dashed ? { type: 'dashed' } : undefined, symbolSize: 6 })),
  });
  return c;
}

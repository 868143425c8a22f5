// Word error rates as a bar chart: per group (the active model, or each version), the base
// model's and the custom model's WER side by side. Drawn as SVG; the figures are also in text.
import { h, s } from './dom.js';

export function werChart(groups) {
  const top = Math.max(10, Math.ceil(Math.max(...groups.flatMap(g => [g.base ?? 0, g.custom ?? 0])) / 10) * 10);
  const barWidth = 28, gap = 8, groupGap = 36, left = 40, bottom = 40, height = 200, topPad = 20;
  const groupWidth = barWidth * 2 + gap;
  const width = left + groups.length * (groupWidth + groupGap);
  const y = value => topPad + (height - topPad - bottom) * (1 - value / top);
  const summary = groups.map(g => `${g.label}: base ${fmt(g.base)}, custom ${fmt(g.custom)}`).join('; ');

  const ticks = [0, top / 2, top].map(t => [
    s('line', { x1: left - 4, x2: width, y1: y(t), y2: y(t), class: 'grid' }),
    s('text', { x: left - 8, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, `${t}%`)]);
  const bars = groups.map((g, i) => {
    const x = left + groupGap / 2 + i * (groupWidth + groupGap);
    const bar = (value, dx, kind) => value === undefined || value === null ? null : [
      s('rect', { x: x + dx, y: y(value), width: barWidth, height: y(0) - y(value), class: `bar ${kind}` },
        s('title', {}, `${g.label}, ${kind} model: ${value}% word error rate`)),
      s('text', { x: x + dx + barWidth / 2, y: y(value) - 4, class: 'value', 'text-anchor': 'middle' }, fmt(value))];
    return [bar(g.base, 0, 'base'), bar(g.custom, barWidth + gap, 'custom'),
      s('text', { x: x + groupWidth / 2, y: height - bottom + 16, class: 'label', 'text-anchor': 'middle' }, g.label)];
  });

  return h('figure', { class: 'chart' },
    s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Word error rate. ${summary}` }, ticks, bars),
    h('figcaption', {},
      h('span', { class: 'swatch base', 'aria-hidden': 'true' }), ' Base model ',
      h('span', { class: 'swatch custom', 'aria-hidden': 'true' }), ' Custom model · word error rate, lower is better'));
}

const fmt = value => (value === undefined || value === null ? '—' : `${value}%`);

import type { OptimizeReport } from './report.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (after: number, before: number) => (before > 0 ? `${((after / before) * 100).toFixed(1)}%` : '-');

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')).join('\n');
}

/** Formats a report as plain-text tables for a terminal or a log. */
export function formatReport(report: OptimizeReport): string {
  const out: string[] = [];
  const { before: b, after: a } = report;
  const v = report.validation;
  const counts = (s: typeof v.before) => (s ? `${s.errors} err, ${s.warnings} warn` : '-');
  out.push(`${report.name}: preset ${report.preset ?? 'none'}, geometry ${report.geometry}, textures ${report.textures}, ${int(report.ms)} ms`);
  out.push(
    table([
      ['', 'before', 'after', 'after/before'],
      ['bytes', int(b.bytes), int(a.bytes), pct(a.bytes, b.bytes)],
      ['  geometry', int(b.geometryBytes), int(a.geometryBytes), pct(a.geometryBytes, b.geometryBytes)],
      ['  textures', int(b.textureBytes), int(a.textureBytes), pct(a.textureBytes, b.textureBytes)],
      ['triangles', int(b.triangles), int(a.triangles), pct(a.triangles, b.triangles)],
      ['validator', counts(v.before), counts(v.after), v.added.length === 0 ? 'nothing added' : `${v.added.length} added`],
    ]),
  );
  out.push('stages: ' + report.stages.map((s) => `${s.stage} ${int(s.ms)} ms`).join(', '));
  if (report.budget) {
    const bud = report.budget;
    out.push(`budget: ${int(bud.maxTriangles)} triangles, reached ${int(bud.triangles)} (${bud.met ? 'met' : 'NOT met'}), error ${bud.error.toFixed(4)} (bound ${bud.errorBound})`);
  }
  if (report.meshes.some((m) => m.triangles !== m.trianglesBefore)) {
    out.push(table([['mesh', 'triangles before', 'after', 'error'], ...report.meshes.map((m) => [m.name, int(m.trianglesBefore), int(m.triangles), m.error.toFixed(4)])]));
  }
  if (report.textureReports.length > 0) {
    out.push(
      table([
        ['texture', 'slots', 'codec', 'size', 'bytes before', 'after', 'ratio', 'PSNR dB'],
        ...report.textureReports.map((t) => [
          t.name,
          t.slots.join(',') || '-',
          t.kept ? `${t.codec} (kept)` : t.codec,
          `${t.widthBefore}x${t.heightBefore}${t.width !== t.widthBefore || t.height !== t.heightBefore ? `→${t.width}x${t.height}` : ''}`,
          int(t.bytesBefore),
          int(t.bytesAfter),
          pct(t.bytesAfter, t.bytesBefore),
          t.psnr === null ? (t.kept ? 'lossless' : '-') : t.psnr.toFixed(2),
        ]),
      ]),
    );
  }
  if (report.lods.length > 0) {
    out.push(
      table([
        ['lod', 'requested', 'achieved', 'triangles', 'error', 'bytes'],
        ...report.lods.map((l) => [`${l.level}${l.distinct ? '' : ' (stalled)'}`, l.requestedRatio.toString(), l.achievedRatio.toFixed(4), int(l.triangles), l.error.toFixed(4), int(l.bytes)]),
      ]),
    );
  }
  for (const w of report.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

import type { RiskMeasures, UtilityMeasures } from '../privacy/measures.js';
import type { DeidReport } from './types.js';

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const num = (n: number, digits = 4) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(digits));
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;

function table(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function h2(zh: string, en: string): string {
  return `<h2>${esc(zh)} <span class="en">${esc(en)}</span></h2>`;
}

function measures(
  before: { utility: UtilityMeasures; risk: RiskMeasures },
  after: { utility: UtilityMeasures; risk: RiskMeasures },
) {
  const rows: [string, string, string][] = [
    [
      '等价类数 Equivalence classes',
      num(before.utility.equivalenceClasses),
      num(after.utility.equivalenceClasses),
    ],
    [
      '平均等价类大小 Average class size',
      num(before.utility.averageClassSize, 2),
      num(after.utility.averageClassSize, 2),
    ],
    ['最小等价类 Smallest class', num(before.utility.smallestClass), num(after.utility.smallestClass)],
    ['抑制记录 Suppressed rows', num(before.utility.suppressedRows), num(after.utility.suppressedRows)],
    [
      '泛化损失 Generalization loss',
      pct(before.utility.generalizationLoss),
      pct(after.utility.generalizationLoss),
    ],
    ['可辨别度 Discernibility', num(before.utility.discernibility), num(after.utility.discernibility)],
    [
      '非均匀熵 Non-uniform entropy (bits)',
      num(before.utility.nonUniformEntropy, 1),
      num(after.utility.nonUniformEntropy, 1),
    ],
    [
      '检察官风险（最高）Prosecutor risk, highest',
      pct(before.risk.prosecutor.highest),
      pct(after.risk.prosecutor.highest),
    ],
    [
      '检察官风险（平均）Prosecutor risk, average',
      pct(before.risk.prosecutor.average),
      pct(after.risk.prosecutor.average),
    ],
    [
      '最高风险记录占比 Records at highest risk',
      pct(before.risk.prosecutor.recordsAtHighest),
      pct(after.risk.prosecutor.recordsAtHighest),
    ],
    [
      '记者风险（最高）Journalist risk, highest',
      pct(before.risk.journalist.highest),
      pct(after.risk.journalist.highest),
    ],
    ['营销者风险 Marketer risk', pct(before.risk.marketer), pct(after.risk.marketer)],
    ['样本唯一记录 Sample uniques', pct(before.risk.sampleUniques), pct(after.risk.sampleUniques)],
  ];
  return table(['指标 Measure', '处理前 Before', '处理后 After'], rows);
}

/** A self-contained, readable HTML page (no scripts, no external assets). */
export function renderReportHtml(report: DeidReport): string {
  const parts: string[] = [];
  parts.push(`<h1>去标识化报告 <span class="en">De-identification report</span></h1>`);
  parts.push(
    table(
      ['项目 Item', '值 Value'],
      [
        ['配置 Profile', report.profile],
        ['格式 Format', report.format],
        ['输入 Input', report.input],
        ['输出 Output', report.output],
        ['开始 Started', report.startedAt],
        ['耗时 Duration', `${report.durationMs.toFixed(0)} ms`],
        ['读取记录 Rows read', num(report.rows.read)],
        ['写出记录 Rows written', num(report.rows.written)],
        ['抑制记录 Rows suppressed', num(report.rows.suppressed)],
      ],
    ),
  );
  if (report.process) {
    parts.push(h2('GB/T 37964-2019 去标识化过程', 'GB/T 37964-2019 process'));
    parts.push(
      table(
        ['步骤 Step', '说明 Detail'],
        report.process.map((p) => [`${p.zh} ${p.en}`, p.detail]),
      ),
    );
  }
  if (report.fields.length > 0 || report.droppedFields.length > 0) {
    parts.push(h2('字段处理', 'Field handling'));
    parts.push(
      table(
        ['字段 Field', '角色 Role', '算子 Operator'],
        [
          ...report.fields.map((f) => [f.name, f.role ?? '', f.operator]),
          ...report.droppedFields.map((f) => [f, '', 'dropped (未列出，已删除)']),
        ],
      ),
    );
  }
  if (report.grading) {
    const g = report.grading;
    parts.push(h2('分级派生的处理', 'Handling derived from grades'));
    parts.push(`<p>分级方案 Scheme: ${esc(g.scheme)}；发布范围 Release: ${esc(g.release)}</p>`);
    parts.push(
      table(
        ['字段 Field', '级别 Grade', '标识类型 Identifier type', '算子 Operator', '依据 Reason'],
        g.fields.map((f) => [
          f.name,
          `${f.grade} (${f.gradeSource === 'profile' ? '配置 profile' : '发现 discovered'})`,
          f.identifierType,
          f.operator,
          f.reason,
        ]),
      ),
    );
  }
  if (report.fhir) {
    parts.push(h2('FHIR 资源规则', 'FHIR rules'));
    parts.push(`<p>资源数 Resources: ${num(report.fhir.resources)}</p>`);
    parts.push(
      table(
        ['路径 Path', '算子 Operator', '处理元素数 Elements'],
        report.fhir.rules.map((r) => [r.path, r.operator, num(r.elements)]),
      ),
    );
  }
  if (report.safeHarbor) {
    parts.push(h2('HIPAA 安全港 18 类标识符', 'HIPAA Safe Harbor identifiers'));
    parts.push(
      table(
        ['#', '标识符 Identifier', '覆盖字段 Covered by'],
        report.safeHarbor.map((s) => [
          s.n,
          `${s.zh} / ${s.en}`,
          s.covered.length > 0 ? s.covered.join(', ') : '—',
        ]),
      ),
    );
  }
  const p = report.privacy;
  if (p) {
    parts.push(h2('隐私模型', 'Privacy models'));
    parts.push(
      table(
        ['项目 Item', '值 Value'],
        [
          ['模型 Criteria', p.criteria.join('; ')],
          [
            '重编码 Recoding',
            p.recoding === 'global'
              ? '全局 global (optimal lattice search)'
              : '局部 local (hierarchical Mondrian)',
          ],
          ['损失度量 Loss metric', p.metric],
          ['抑制上限 Suppression limit', pct(p.suppressionLimit)],
          ...(p.search
            ? [
                ['泛化格节点 Lattice nodes', num(p.search.latticeSize)],
                ['检查节点 Nodes checked', num(p.search.checks)],
                ['搜索耗时 Search time', `${p.search.milliseconds.toFixed(0)} ms`],
              ]
            : []),
        ],
      ),
    );
    if (p.levels) {
      parts.push(
        table(
          ['准标识符 Quasi-identifier', '层级 Level', '名称 Name'],
          p.levels.map((l) => [l.attribute, l.level, l.name]),
        ),
      );
    }
    parts.push(h2('效用与风险（处理前后）', 'Utility and risk, before and after'));
    parts.push(measures(p.before, p.after));
    parts.push(h2('验证', 'Verification'));
    parts.push(
      table(
        ['模型 Criterion', '结果 Result', '不满足的等价类 Failing classes'],
        p.verification.map((v) => [v.criterion, v.holds ? '满足 holds' : '不满足 FAILS', v.failingClasses]),
      ),
    );
  }
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>去标识化报告 De-identification report</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:60rem;color:#1f2328;line-height:1.5;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.en{color:#57606a;font-weight:normal;font-size:.85em}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}tr:nth-child(even) td{background:#fbfcfd}
</style></head><body>
${parts.join('\n')}
</body></html>
`;
}

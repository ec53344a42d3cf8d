import type { ConditionDef, Medication } from './catalog.js';
import type { Person } from './person.js';
import { ageAt, dateAt } from './time.js';

/** What a clinical note is written about. */
/** The ideographic space that separates fields on a Chinese form. */
const SP = '\u3000';

export interface NoteInput {
  person: Person;
  hospitalName: string;
  hospitalNameZh: string;
  kind: 'progress' | 'discharge';
  start: number;
  end: number;
  department: { zh: string; en: string };
  condition?: ConditionDef;
  medication?: Medication;
  vitals?: { systolic: number; diastolic: number; heartRate: number };
  clinician: string;
}

/**
 * A free-text note in the patient's language that, like real notes, repeats the patient's name,
 * identifiers, phone and address: the material PHI detection and redaction must find.
 */
export function clinicalNote(input: NoteInput): { title: string; text: string; language: string } {
  return input.person.kind === 'zh' ? chineseNote(input) : englishNote(input);
}

function chineseNote(n: NoteInput): { title: string; text: string; language: string } {
  const p = n.person;
  const [y, m, d] = dateAt(n.start, p.utcOffset).split('-').map(Number);
  const title = n.kind === 'discharge' ? '出院小结' : '门诊病历';
  const complaint = n.condition?.complaint.zh ?? '健康体检';
  const lines = [
    `${n.hospitalNameZh} ${title}`,
    `姓名：${p.name.text}${SP}性别：${p.sex === 'male' ? '男' : '女'}${SP}年龄：${ageAt(p.birthDate, n.start)}岁`,
    `身份证号：${p.residentId ?? ''}${SP}联系电话：${p.phone}`,
    `住址：${p.address.text}`,
    `${n.kind === 'discharge' ? '入院日期' : '就诊日期'}：${y}年${m}月${d}日${SP}科室：${n.department.zh}`,
  ];
  if (n.kind === 'discharge') {
    const [ey, em, ed] = dateAt(n.end, p.utcOffset).split('-').map(Number);
    lines.push(`出院日期：${ey}年${em}月${ed}日`);
  }
  lines.push(`主诉：${complaint}。`);
  lines.push(`现病史：患者${p.name.text}因“${complaint}”来我院就诊。`);
  if (n.vitals)
    lines.push(
      `体格检查：血压 ${n.vitals.systolic}/${n.vitals.diastolic} mmHg，心率 ${n.vitals.heartRate} 次/分。`,
    );
  lines.push(`诊断：${n.condition?.cn.display ?? '健康查体'}`);
  lines.push(
    n.medication
      ? `处理：${n.medication.zh}，${n.medication.dosageZh}。嘱定期复诊。`
      : '处理：嘱注意休息，定期复查。',
  );
  if (p.contact)
    lines.push(`联系人：${p.contact.name}（${p.contact.relationshipZh}），电话 ${p.contact.phone}`);
  lines.push(`医师：${n.clinician}`);
  return {
    title: `${title} ${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    text: lines.join('\n'),
    language: 'zh-CN',
  };
}

function englishNote(n: NoteInput): { title: string; text: string; language: string } {
  const p = n.person;
  const date = dateAt(n.start, p.utcOffset);
  const title = n.kind === 'discharge' ? 'Discharge summary' : 'Progress note';
  const complaint = n.condition?.complaint.en ?? 'routine health check';
  const lines = [
    `${n.hospitalName} (${n.hospitalNameZh}) - ${title}`,
    `Patient: ${p.name.text}, ${p.sex}, DOB ${p.birthDate} (age ${ageAt(p.birthDate, n.start)})`,
    `SSN: ${p.ssn ?? ''}  Phone: ${p.phone}`,
    `Address: ${p.address.text}`,
    `${n.kind === 'discharge' ? 'Admitted' : 'Seen'}: ${date}  Department: ${n.department.en}`,
  ];
  if (n.kind === 'discharge') lines.push(`Discharged: ${dateAt(n.end, p.utcOffset)}`);
  lines.push(`Chief complaint: ${complaint}.`);
  if (n.vitals)
    lines.push(
      `Examination: BP ${n.vitals.systolic}/${n.vitals.diastolic} mmHg, heart rate ${n.vitals.heartRate}/min.`,
    );
  lines.push(`Assessment: ${n.condition?.icd10.display ?? 'Healthy adult, routine examination'}`);
  lines.push(
    n.medication
      ? `Plan: ${n.medication.en}, ${n.medication.dosageEn}. Review in clinic.`
      : 'Plan: rest and routine follow-up.',
  );
  if (p.contact) lines.push(`Next of kin: ${p.contact.name} (${p.contact.relationship}), ${p.contact.phone}`);
  lines.push(`Clinician: Dr ${n.clinician}`);
  return { title: `${title} ${date}`, text: lines.join('\n'), language: 'en-US' };
}

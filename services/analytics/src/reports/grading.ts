// Sensitivity grades (数据分级) of the consent field groups of services/his's record models, after
// GB/T 39725-2020《信息安全技术 健康医疗数据安全指南》§5.2 (数据分级): five levels by how widely the data may
// be used and the harm its disclosure does — 第1级 may be fully public; 第2级 may be used widely
// (e.g. de-identified data); 第3级 in a medium scope (harm if disclosed, e.g. clinical content kept
// apart from identity); 第4级 in a small scope (identifies a person: serious harm); 第5级 only in a
// very small, strictly controlled scope (special categories). A group is graded by its most
// sensitive member. Data, not code: docs/reports.md explains each choice.
import type { Bilingual } from "../privacy/index.ts";

export const GRADING_SOURCE: Bilingual = {
  en: "GB/T 39725-2020 Information security technology — Guide for health data security, §5.2 data grading (levels 1–5)",
  zh: "GB/T 39725-2020《信息安全技术 健康医疗数据安全指南》5.2 数据分级（第1级–第5级）",
};

export const GRADE_NAMES: Readonly<Record<1 | 2 | 3 | 4 | 5, Bilingual>> = {
  1: { en: "Level 1: may be fully public", zh: "第1级：可完全公开使用" },
  2: { en: "Level 2: may be used in a wide scope", zh: "第2级：可在较大范围内供访问使用" },
  3: { en: "Level 3: may be used in a medium scope", zh: "第3级：可在中等范围内供访问使用" },
  4: { en: "Level 4: may be used in a small scope", zh: "第4级：可在较小范围内供访问使用" },
  5: { en: "Level 5: only in a very small scope under strict conditions", zh: "第5级：仅在极小范围内且在严格限制条件下供访问使用" },
};

export interface FieldGroupGrade {
  /** The consent field name of services/his's record models. */
  readonly group: string;
  readonly grade: 1 | 2 | 3 | 4 | 5;
  readonly name: Bilingual;
  readonly why: Bilingual;
}

const grade = (group: string, level: FieldGroupGrade["grade"], name: Bilingual, why: Bilingual): FieldGroupGrade => ({ group, grade: level, name, why });
const IDENTIFIES = { en: "directly identifies the person (GB/T 39725 personal identity data)", zh: "可直接识别个人（个人属性数据中的标识信息）" };
const CLINICAL = { en: "health content about a person, kept apart from identity: harm if disclosed", zh: "个人健康状况内容，与身份信息分开保存：泄露会造成损害" };

export const FIELD_GROUP_GRADES: readonly FieldGroupGrade[] = [
  grade("identity.name", 4, { en: "name", zh: "姓名" }, IDENTIFIES),
  grade("identity.id-number", 4, { en: "ID number", zh: "身份证件号码" }, IDENTIFIES),
  grade("contact.phone", 4, { en: "phone", zh: "联系电话" }, IDENTIFIES),
  grade("home-address", 4, { en: "home address", zh: "家庭住址" }, IDENTIFIES),
  grade("record.source", 3, { en: "record source (institution, patient number, encounter key)", zh: "记录来源（机构、患者编号、就诊键）" }, {
    en: "the institution's patient number identifies the person inside that institution (indirect identifier)",
    zh: "机构内患者编号可在该机构内识别个人（间接标识符）",
  }),
  grade("demographics", 3, { en: "sex and birth date", zh: "性别、出生日期" }, {
    en: "quasi-identifiers: combined with other data they can single a person out",
    zh: "准标识符：与其他数据结合可识别个人",
  }),
  grade("encounter", 3, { en: "encounter", zh: "就诊信息" }, CLINICAL),
  grade("diagnosis", 3, { en: "diagnosis", zh: "诊断" }, CLINICAL),
  grade("clinical-course", 3, { en: "clinical course", zh: "诊疗经过" }, CLINICAL),
  grade("exam.findings", 3, { en: "examination findings", zh: "检查所见" }, CLINICAL),
  grade("vital-signs", 3, { en: "vital signs", zh: "生命体征" }, CLINICAL),
  grade("medication", 3, { en: "medication", zh: "用药" }, CLINICAL),
  grade("lab.result.test", 3, { en: "lab test", zh: "检验项目" }, CLINICAL),
  grade("lab.result.value", 3, { en: "lab result value", zh: "检验结果值" }, CLINICAL),
  grade("lab.result.unit", 2, { en: "lab result unit", zh: "检验结果单位" }, {
    en: "a code from a dictionary: says nothing about the person on its own",
    zh: "字典代码：单独不反映个人情况",
  }),
  grade("lab.result.reference-range", 2, { en: "reference range", zh: "参考范围" }, {
    en: "the laboratory's reference values: not about the person",
    zh: "实验室参考值：与个人无关",
  }),
];

const BY_GROUP = new Map(FIELD_GROUP_GRADES.map((g) => [g.group, g]));

/** The grade of a consent field group, or undefined for a group the table does not know. */
export function gradeOfFieldGroup(group: string): FieldGroupGrade | undefined {
  return BY_GROUP.get(group);
}

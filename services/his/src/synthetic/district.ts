// The district: its region code, its streets and towns, and its 25 medical institutions, each
// with the laboratory dictionary of its own LIS (local codes, local names, reporting units).
import { LAB_TESTS, type LabTest } from "./catalog.ts";
import { type Random, createRandom, deriveSeed } from "./random.ts";

/** The administrative division code (GB/T 2260) of 上海市浦东新区, the first six digits of its residents' ID numbers. */
export const DISTRICT_REGION_CODE = "310115";
export const DISTRICT_NAME_ZH = "上海市浦东新区";
export const DISTRICT_NAME_EN = "Pudong New Area, Shanghai";

export interface Street {
  readonly nameZh: string;
  readonly nameEn: string;
  readonly roads: readonly string[];
}

/** One street or town per community health centre. */
export const STREETS: readonly Street[] = [
  { nameZh: "陆家嘴街道", nameEn: "Lujiazui", roads: ["浦东南路", "东昌路", "崂山路", "福山路"] },
  { nameZh: "潍坊新村街道", nameEn: "Weifang Xincun", roads: ["潍坊路", "南泉北路", "峨山路"] },
  { nameZh: "塘桥街道", nameEn: "Tangqiao", roads: ["塘桥新路", "蓝村路", "浦建路"] },
  { nameZh: "洋泾街道", nameEn: "Yangjing", roads: ["羽山路", "巨野路", "崮山路"] },
  { nameZh: "花木街道", nameEn: "Huamu", roads: ["梅花路", "锦绣路", "樱花路", "芳甸路"] },
  { nameZh: "金杨新村街道", nameEn: "Jinyang Xincun", roads: ["金杨路", "罗山路", "灵山路"] },
  { nameZh: "浦兴路街道", nameEn: "Puxinglu", roads: ["浦兴路", "长岛路", "金桥路"] },
  { nameZh: "东明路街道", nameEn: "Dongminglu", roads: ["东明路", "凌兆路", "三林路"] },
  { nameZh: "三林镇", nameEn: "Sanlin", roads: ["海阳西路", "永泰路", "上南路"] },
  { nameZh: "张江镇", nameEn: "Zhangjiang", roads: ["祖冲之路", "郭守敬路", "张江路"] },
  { nameZh: "北蔡镇", nameEn: "Beicai", roads: ["沪南路", "莲园路", "高科中路"] },
  { nameZh: "川沙新镇", nameEn: "Chuansha", roads: ["川环南路", "新川路", "华夏东路"] },
  { nameZh: "周浦镇", nameEn: "Zhoupu", roads: ["年家浜路", "周园路", "康沈路"] },
  { nameZh: "高桥镇", nameEn: "Gaoqiao", roads: ["石家街", "季景路", "江东路"] },
  { nameZh: "惠南镇", nameEn: "Huinan", roads: ["人民东路", "城南路", "拱极路"] },
];

export type InstitutionLevel = "community" | "secondary" | "tertiary";

/** One line of an institution's LIS dictionary: how it codes, names and reports one test. */
export interface LocalLabCode {
  readonly localCode: string;
  readonly localName: string;
  readonly unit: string;
  /** Ground truth for evaluating code mapping: the test and the LOINC code its unit implies. */
  readonly testKey: string;
  readonly loinc: string;
}

export interface Institution {
  readonly code: string;
  readonly nameZh: string;
  readonly nameEn: string;
  readonly level: InstitutionLevel;
  /** 医院等级: 一级 (community), 二级, 三级. */
  readonly levelZh: "一级" | "二级" | "三级";
  /** The street whose residents it serves first (community centres), or null. */
  readonly streetIndex: number | null;
  /** Prefix of the institution's own patient numbers. */
  readonly patientIdPrefix: string;
  readonly labDictionary: readonly LocalLabCode[];
}

interface InstitutionSeed {
  readonly code: string;
  readonly nameZh: string;
  readonly nameEn: string;
  readonly level: InstitutionLevel;
  readonly streetIndex: number | null;
  readonly patientIdPrefix: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

const INSTITUTION_SEEDS: readonly InstitutionSeed[] = [
  ...STREETS.map((street, i) => ({
    code: `PD-CHC-${pad(i + 1, 2)}`,
    nameZh: `浦东新区${street.nameZh.replace(/街道$/, "")}社区卫生服务中心`,
    nameEn: `Pudong ${street.nameEn} Community Health Centre`,
    level: "community" as const,
    streetIndex: i,
    patientIdPrefix: `S${pad(i + 1, 2)}`,
  })),
  ...(
    [
      ["东部医院", "Eastern Hospital"], ["南部医院", "Southern Hospital"], ["北部医院", "Northern Hospital"],
      ["中医医院", "Hospital of Traditional Chinese Medicine"], ["张江医院", "Zhangjiang Hospital"],
      ["三林医院", "Sanlin Hospital"], ["高桥医院", "Gaoqiao Hospital"], ["周浦医院", "Zhoupu Hospital"],
    ] as const
  ).map(([zh, en], i) => ({
    code: `PD-SH-${pad(i + 1, 2)}`,
    nameZh: `浦东新区${zh}`,
    nameEn: `Pudong ${en}`,
    level: "secondary" as const,
    streetIndex: null,
    patientIdPrefix: `${2 * (i + 1)}`,
  })),
  {
    code: "PD-TH-01", nameZh: "浦江医科大学附属第一医院", nameEn: "First Affiliated Hospital of Pujiang Medical University",
    level: "tertiary", streetIndex: null, patientIdPrefix: "ZY",
  },
  {
    code: "PD-TH-02", nameZh: "浦江医科大学附属第二医院", nameEn: "Second Affiliated Hospital of Pujiang Medical University",
    level: "tertiary", streetIndex: null, patientIdPrefix: "EY",
  },
];

const LEVEL_ZH = { community: "一级", secondary: "二级", tertiary: "三级" } as const;

/** Each institution's LIS numbers tests its own way; the institution's serial keeps the codes apart. */
function localCodeOf(style: number, serial: number, test: LabTest, testIndex: number, random: Random): string {
  switch (style) {
    case 0:
      return `${100 + serial}${pad(testIndex * 7 + 3, 3)}`;
    case 1:
      return `${random.pick(test.mnemonics).toUpperCase()}-${pad(serial, 2)}`;
    default:
      return `L${pad(serial, 2)}${pad(testIndex + 1, 2)}`;
  }
}

/** The district's 15 community health centres, 8 secondary and 2 tertiary hospitals, with dictionaries drawn from the seed. */
export function districtInstitutions(seed: number): readonly Institution[] {
  const random = createRandom(deriveSeed(seed, 0xd1c7));
  const alternateUnitRate = 0.3;
  const institutions = INSTITUTION_SEEDS.map((institution, serial) => {
    const style = random.int(0, 2);
    const labDictionary = LAB_TESTS.map((test, testIndex) => {
      const unit = test.units.length > 1 && random.chance(alternateUnitRate) ? test.units[1]! : test.units[0]!;
      return {
        localCode: localCodeOf(style, serial + 1, test, testIndex, random),
        localName: random.pick(test.localNames),
        unit: unit.unit,
        testKey: test.key,
        loinc: unit.loinc,
      };
    });
    return { ...institution, levelZh: LEVEL_ZH[institution.level], labDictionary };
  });
  // Every test with a second unit is reported in it somewhere, whatever the seed.
  LAB_TESTS.forEach((test, testIndex) => {
    const alternate = test.units[1];
    if (!alternate || institutions.some((institution) => institution.labDictionary[testIndex]!.unit === alternate.unit)) return;
    const institution = institutions[testIndex % institutions.length]!;
    const entry = institution.labDictionary[testIndex]!;
    institution.labDictionary[testIndex] = { ...entry, unit: alternate.unit, loinc: alternate.loinc };
  });
  return institutions;
}

// Chinese personal names: surnames weighted by their approximate share of the population
// (per mille, after the published national surname rankings), given names of one or two
// characters drawn from common name characters by sex, and the homophone slips a registration
// clerk makes when typing a name (同音字).
import { type Random, weightedTable } from "./random.ts";

const SURNAMES = weightedTable<string>([
  ["王", 71], ["李", 70], ["张", 66], ["刘", 54], ["陈", 46], ["杨", 31], ["黄", 23], ["赵", 22],
  ["吴", 20], ["周", 19], ["徐", 15], ["孙", 15], ["马", 14], ["朱", 13], ["胡", 12], ["郭", 11],
  ["何", 11], ["林", 10], ["高", 10], ["罗", 9], ["郑", 8], ["梁", 8], ["谢", 7], ["宋", 6],
  ["唐", 6], ["许", 6], ["韩", 5], ["冯", 5], ["邓", 5], ["曹", 5], ["彭", 5], ["曾", 4],
  ["肖", 4], ["田", 4], ["董", 4], ["袁", 4], ["潘", 4], ["于", 4], ["蒋", 4], ["蔡", 4],
  ["余", 4], ["杜", 4], ["叶", 4], ["程", 3], ["苏", 3], ["魏", 3], ["吕", 3], ["丁", 3],
  ["任", 3], ["沈", 3], ["姚", 3], ["卢", 3], ["姜", 3], ["崔", 3], ["钟", 3], ["谭", 3],
  ["陆", 3], ["汪", 3], ["范", 3], ["金", 3], ["石", 3], ["廖", 3], ["贾", 2], ["夏", 2],
  ["韦", 2], ["付", 2], ["方", 2], ["白", 2], ["邹", 2], ["孟", 2], ["熊", 2], ["秦", 2],
  ["邱", 2], ["江", 2], ["尹", 2], ["薛", 2], ["顾", 2], ["钱", 2], ["严", 2], ["戴", 2],
  ["欧阳", 0.3], ["司马", 0.05], ["诸葛", 0.05], ["上官", 0.05],
]);

const MALE_GIVEN = weightedTable<string>([
  ["伟", 10], ["军", 6], ["勇", 6], ["杰", 6], ["涛", 5], ["明", 6], ["斌", 4], ["磊", 5],
  ["强", 6], ["平", 5], ["刚", 4], ["华", 6], ["建", 5], ["国", 5], ["峰", 4], ["鹏", 4],
  ["浩", 5], ["宇", 5], ["俊", 4], ["文", 5], ["志", 5], ["超", 4], ["波", 4], ["辉", 4],
  ["林", 3], ["东", 4], ["海", 4], ["亮", 3], ["飞", 3], ["永", 3], ["健", 3], ["晨", 3],
  ["子", 3], ["轩", 2], ["博", 2], ["家", 3],
]);

const FEMALE_GIVEN = weightedTable<string>([
  ["芳", 8], ["丽", 8], ["静", 7], ["敏", 6], ["燕", 6], ["艳", 5], ["娟", 5], ["霞", 5],
  ["玲", 5], ["婷", 5], ["雪", 4], ["慧", 5], ["红", 5], ["英", 5], ["华", 4], ["梅", 4],
  ["琳", 4], ["莉", 4], ["萍", 4], ["颖", 4], ["佳", 4], ["欣", 4], ["怡", 4], ["倩", 3],
  ["洁", 3], ["琴", 3], ["云", 3], ["秀", 4], ["兰", 3], ["晶", 3], ["子", 2], ["雨", 3],
]);

/** Characters a clerk types instead (same pronunciation, or nearly, in the local accent). */
const HOMOPHONES: Readonly<Record<string, string>> = {
  伟: "炜", 军: "君", 勇: "永", 永: "勇", 杰: "洁", 洁: "杰", 涛: "滔", 明: "铭", 斌: "彬", 磊: "雷",
  强: "墙", 平: "萍", 萍: "平", 刚: "钢", 华: "桦", 建: "健", 健: "建", 国: "帼", 峰: "锋", 鹏: "朋",
  浩: "豪", 宇: "雨", 雨: "宇", 俊: "骏", 文: "雯", 志: "智", 超: "潮", 波: "博", 博: "波", 辉: "晖",
  林: "琳", 琳: "林", 东: "冬", 海: "还", 亮: "靓", 飞: "菲", 晨: "辰", 子: "紫", 轩: "宣", 家: "佳",
  佳: "家", 芳: "方", 丽: "莉", 莉: "丽", 静: "晶", 晶: "静", 敏: "民", 燕: "艳", 艳: "燕", 娟: "鹃",
  霞: "侠", 玲: "铃", 婷: "亭", 雪: "学", 慧: "惠", 红: "宏", 英: "瑛", 梅: "玫", 颖: "影", 欣: "新",
  怡: "宜", 倩: "茜", 琴: "芹", 云: "芸", 秀: "琇", 兰: "岚",
  张: "章", 王: "汪", 汪: "王", 李: "黎", 刘: "柳", 杨: "阳", 徐: "许", 许: "徐", 吴: "伍", 陈: "程",
  程: "陈", 周: "邹", 邹: "周", 黄: "皇",
};

export function chineseName(random: Random, sex: "male" | "female"): string {
  const surname = random.weighted(SURNAMES);
  const given = sex === "male" ? MALE_GIVEN : FEMALE_GIVEN;
  const first = random.weighted(given);
  if (random.chance(0.25)) return surname + first;
  let second = random.weighted(given);
  while (second === first && random.chance(0.9)) second = random.weighted(given);
  return surname + first + second;
}

/** The name with one character replaced by a homophone, or null if none of its characters has one. */
export function nameWithTypo(random: Random, name: string): string | null {
  const chars = [...name];
  const candidates = chars.flatMap((char, i) => (HOMOPHONES[char] ? [i] : []));
  if (candidates.length === 0) return null;
  const at = random.pick(candidates);
  chars[at] = HOMOPHONES[chars[at]!]!;
  return chars.join("");
}

// Truncation of a Chinese address to an administrative level: province (省级), city (地级) or
// district (县级). 上海市浦东新区张江镇… → 上海市浦东新区 (district), 上海市 (city or province).
//
// The province is read from the closed list of the 34 province-level divisions (full or short name);
// the city and district by their suffixes (市/自治州/地区/盟, 区/县/旗/市), with street-level words
// refused so that a street or town is never taken for a district. The result is always a prefix of the
// address as written: when a finer level cannot be found, the coarser one found is returned (less
// precise, never more); when not even the province is recognised, null.
import type { AddressLevel } from "./policy.ts";

const MUNICIPALITIES = ["北京市", "天津市", "上海市", "重庆市"];
const SPECIAL_REGIONS = ["香港特别行政区", "澳门特别行政区"];
const PROVINCES = [
  "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省",
  "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
  "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
];

interface ProvinceName {
  readonly text: string;
  /** Municipalities and special regions have no city level: the province is the city. */
  readonly cityLess: boolean;
}

function shortName(full: string): string {
  return full.replace(/(?:省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$/, "");
}

// Full names before short ones, longer before shorter, so "吉林省吉林市" reads the province "吉林省".
const PROVINCE_NAMES: readonly ProvinceName[] = [...MUNICIPALITIES, ...SPECIAL_REGIONS, ...PROVINCES]
  .flatMap((full) => {
    const cityLess = !PROVINCES.includes(full);
    return [{ text: full, cityLess }, { text: shortName(full), cityLess }];
  })
  .sort((a, b) => b.text.length - a.text.length);

const CITY = /^[^\s\dA-Za-z０-９]{1,10}?(?:自治州|地区|盟|市)/u;
const DISTRICT = /^[^\s\dA-Za-z０-９]{1,10}?[区县旗市]/u;
// Words of street-level places (街道, 镇, 乡, 路, 弄, 号, 村): a candidate holding one after its first
// character (路桥区 and 镇海区 are districts) is a street or town, not a city or district.
const STREET_WORDS = /.[街镇乡路弄号村室]/u;

function level(rest: string, pattern: RegExp): string | null {
  const match = pattern.exec(rest);
  if (match === null || STREET_WORDS.test(match[0])) return null;
  return match[0];
}

/** The prefix of `address` down to `target` (or the finest level above it that was found); null when unrecognised. */
export function truncateAddress(address: string, target: AddressLevel): string | null {
  const text = address.trim();
  const province = PROVINCE_NAMES.find((name) => text.startsWith(name.text));
  if (province === undefined) return null;
  let end = province.text.length;
  if (target === "province") return text.slice(0, end);
  if (!province.cityLess) {
    const city = level(text.slice(end), CITY);
    if (city === null) return text.slice(0, end);
    end += city.length;
  }
  if (target === "city") return text.slice(0, end);
  const district = level(text.slice(end), DISTRICT);
  return district === null ? text.slice(0, end) : text.slice(0, end + district.length);
}

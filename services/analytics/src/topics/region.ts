// The region of a resident as topics record it: the sub-district (街道), town (镇) or township (乡)
// named in the patient record's address, e.g. "洋泾街道" from "上海市浦东新区洋泾街道巨野路982弄…".
// The criteria language's `region` leaf compares this text exactly, so a topic's criteria name
// sub-districts as written here ("洋泾街道", not "洋泾").

// A sub-district name follows a county-level or higher division (…市, …区, …县, …旗) and contains
// none of those markers itself, so "浦东新区洋泾街道" yields "洋泾街道" and a road such as "镇宁路"
// (no 街道/镇/乡 after it) yields nothing.
const SUB_DISTRICT = /[省市区县旗]((?:(?![省市区县旗])[\u4e00-\u9fff]){1,12}?(?:街道|镇|乡))/;

/** The sub-district (街道/镇/乡) of a Chinese address, or null when it names none. */
export function subDistrictOf(address: unknown): string | null {
  if (typeof address !== "string") return null;
  return SUB_DISTRICT.exec(address)?.[1] ?? null;
}

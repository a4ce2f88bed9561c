// Resident identity numbers: the GB 11643-1999 check character and the validator.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkIdNumber, idNumberCheckChar, makeIdNumber, mulberry32 } from "../src/index.ts";

/** ISO 7064 MOD 11-2 as the standard states it, recursively (independent of the weight table under test). */
function mod11_2(digits: string): string {
  let p = 0;
  for (const char of digits) p = ((p + Number(char)) * 2) % 11;
  const check = (12 - p) % 11;
  return check === 10 ? "X" : String(check);
}

describe("identity number check character", () => {
  it("matches the published examples, worked by hand", () => {
    // 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167; 167 mod 11 = 2 → 'X'
    assert.equal(idNumberCheckChar("11010519491231002"), "X");
    // 4·7+4·9+0·10+5·5+2·8+4·4+1·2+8·1+8·6+0·3+0·7+1·9+0·10+1·5+0·8+0·4+1·2 = 195; 195 mod 11 = 8 → '4'
    assert.equal(idNumberCheckChar("44052418800101001"), "4");
  });

  it("agrees with the recursive MOD 11-2 definition on random inputs, 'X' included", () => {
    const random = mulberry32(11643);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      let digits = "";
      for (let j = 0; j < 17; j++) digits += Math.floor(random() * 10);
      const char = idNumberCheckChar(digits);
      assert.equal(char, mod11_2(digits), digits);
      seen.add(char);
    }
    assert.equal(seen.size, 11);
  });

  it("refuses anything but seventeen digits", () => {
    for (const bad of ["", "1101051949123100", "110105194912310021", "1101051949123100a"]) {
      assert.throws(() => idNumberCheckChar(bad), RangeError);
    }
  });
});

describe("identity number validator", () => {
  it("accepts a valid number and reads region, birth date and sex from it", () => {
    assert.deepEqual(checkIdNumber("11010519491231002X"), { valid: true, regionCode: "110105", birthDate: "1949-12-31", sex: "female" });
    assert.deepEqual(checkIdNumber("440524188001010014"), { valid: true, regionCode: "440524", birthDate: "1880-01-01", sex: "male" });
  });

  it("rejects a wrong check character, an impossible date and a malformed number", () => {
    assert.deepEqual(checkIdNumber("110105194912310021"), { valid: false, reason: "check-character" });
    const feb30 = "31011519900230001";
    assert.deepEqual(checkIdNumber(feb30 + idNumberCheckChar(feb30)), { valid: false, reason: "birth-date" });
    assert.deepEqual(checkIdNumber("11010519491231002x"), { valid: false, reason: "format" });
    assert.deepEqual(checkIdNumber("11010519491231002"), { valid: false, reason: "format" });
  });

  it("builds numbers whose sequence parity matches the sex", () => {
    for (let sequence = 995; sequence <= 999; sequence++) {
      for (const sex of ["male", "female"] as const) {
        const id = makeIdNumber("310115", "2000-02-29", sex, sequence);
        assert.deepEqual(checkIdNumber(id), { valid: true, regionCode: "310115", birthDate: "2000-02-29", sex });
      }
    }
  });
});

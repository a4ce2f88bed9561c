// Code analysis once per contract, not once per call.
//
// Before it runs a frame whose code holds a JUMP, ethereumjs (@ethereumjs/evm 10) scans the whole
// code for its jump destinations, push values and opcode table (`Interpreter#_getValidJumpDestinations`)
// — for every message call, again and again for the same contract. For a 21 KB contract such as
// ConsentRegistry that scan was 60 % of the EVM's time in an `eth_call` of `checkAccess`
// (measured: a fifth of chain-node's whole CPU under the gateway's read load). The analysis depends
// only on the code bytes and the EVM's opcode table, and the interpreter only reads it, so it is
// kept per (opcode table, code) — the code as the state hands it out: chain-node's state keeps one
// `Uint8Array` per code hash, so a contract's calls meet the same object; weak maps let one-off code
// (creation code, a call's deployless reader) go with its last frame.
//
// The method is not part of ethereumjs' public API; `installJumpAnalysisCache` checks that it is
// there with the expected shape and otherwise leaves the EVM as it is (and says so).
// chain-node/test/jump-analysis.test.ts pins the behaviour for the installed version.

interface Analysis {
  readonly jumps: Uint8Array;
  readonly pushes: Record<number, bigint>;
  readonly opcodesCached: unknown[];
}

interface InterpreterLike {
  _evm: { _opcodeMap: object };
  _getValidJumpDestinations(code: Uint8Array): Analysis;
}

const INSTALLED = Symbol.for("health-chain.jump-analysis-cache");

/** How often a frame's analysis came from the cache (hits) or was computed (misses), since start. */
export const jumpAnalysisStats = { hits: 0, misses: 0 };

let installing: Promise<boolean> | undefined;

/** Memoises the EVM's per-frame code analysis (once per process); false when this ethereumjs has no such method. */
export function installJumpAnalysisCache(): Promise<boolean> {
  installing ??= (async () => {
    // The interpreter module next to the package's entry point (not exported by name): the same
    // module instance the EVM itself imports.
    const url = new URL("./interpreter.js", import.meta.resolve("@ethereumjs/evm"));
    const { Interpreter } = (await import(url.href)) as { Interpreter?: { prototype: InterpreterLike } };
    const proto = Interpreter?.prototype;
    const original = proto?._getValidJumpDestinations;
    if (proto === undefined || typeof original !== "function" || original.length !== 1) return false;
    if ((original as unknown as Record<symbol, boolean>)[INSTALLED]) return true;
    const byTable = new WeakMap<object, WeakMap<Uint8Array, Analysis>>();
    const cached = function (this: InterpreterLike, code: Uint8Array): Analysis {
      const table = this._evm._opcodeMap;
      let byCode = byTable.get(table);
      if (byCode === undefined) byTable.set(table, (byCode = new WeakMap()));
      const hit = byCode.get(code);
      if (hit !== undefined && hit.jumps.length === code.length) {
        jumpAnalysisStats.hits++;
        return hit;
      }
      jumpAnalysisStats.misses++;
      const analysis = original.call(this, code);
      byCode.set(code, analysis);
      return analysis;
    };
    Object.defineProperty(cached, INSTALLED, { value: true });
    proto._getValidJumpDestinations = cached;
    return true;
  })();
  return installing;
}

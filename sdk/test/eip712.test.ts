import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  concat,
  createWalletClient,
  custom,
  encodeAbiParameters,
  encodePacked,
  hashTypedData,
  keccak256,
  parseAbiParameters,
  recoverTypedDataAddress,
  stringToBytes,
  verifyTypedData,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  CONSENT_PRIMARY_TYPES,
  consentDigest,
  consentDomain,
  consentTypeHash,
  consentTypeString,
  consentTypedData,
  consentTypes,
  grantIdOf,
  recoverConsentSigner,
  type ConsentMessage,
  type ConsentPrimaryType,
} from "../src/eip712.ts";
import { consentRegistryAbi } from "../src/generated/abis.ts";

const SOURCE = readFileSync(new URL("../../contracts/src/ConsentRegistry.sol", import.meta.url), "utf8");

/** The contract's type strings by constant name, e.g. CONSENT_GRANT_TYPEHASH → "ConsentGrant(…)". */
const TYPEHASH_STRINGS = new Map(
  [...SOURCE.matchAll(/bytes32 public constant (\w+_TYPEHASH) =\s*keccak256\(\s*"([^"]+)"\s*\)/g)].map((m) => [
    m[1]!,
    m[2]!,
  ]),
);

/** ConsentGrant → CONSENT_GRANT_TYPEHASH. */
const typehashName = (type: ConsentPrimaryType) =>
  `${type.replace(/(?<=[a-z])(?=[A-Z])/g, "_").toUpperCase()}_TYPEHASH`;

/** The digest view of each message type (its struct is the view's one parameter). */
const DIGEST_VIEW: Record<ConsentPrimaryType, string> = {
  ConsentGrant: "grantDigest",
  ConsentNarrowing: "narrowingDigest",
  ConsentRevocation: "revocationDigest",
  RequestAnswer: "answerDigest",
  Delegation: "delegationDigest",
  DelegationRevocation: "delegationRevocationDigest",
  Reshare: "reshareDigest",
};

const DOMAIN = consentDomain(31337n, "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9");
const h = (label: string): Hex => keccak256(stringToBytes(label));
const RESIDENT = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const DELEGATE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";

/** A sample message of every type, with empty, one-item and several-item lists. */
const SAMPLES: { [T in ConsentPrimaryType]: ConsentMessage<T> } = {
  ConsentGrant: {
    resident: RESIDENT,
    grantee: `0x${"00".repeat(12)}${DELEGATE.slice(2).toLowerCase()}`,
    granteeKind: 1,
    categories: [h("category:LAB_REPORT")],
    recordIds: [],
    fields: [h("field:diagnosis"), h("field:lab-result")],
    purposes: 0b11,
    notBefore: 1_760_000_000n,
    notAfter: 1_762_592_000n,
    mayReshare: true,
    nonce: 2n ** 200n + 7n,
    deadline: 1_760_003_600n,
  },
  ConsentNarrowing: {
    grantId: h("grant"),
    removeCategories: [],
    removeRecordIds: [h("record:1")],
    removeFields: [h("field:lab-result")],
    removePurposes: 0b10,
    notAfter: 0n,
    nonce: 8n,
    deadline: 1_760_003_600n,
  },
  ConsentRevocation: { grantId: h("grant"), nonce: 9n, deadline: 1_760_003_600n },
  RequestAnswer: {
    requestId: h("request"),
    requestHash: h("request content"),
    approve: true,
    mode: 1,
    notBefore: 1_760_000_000n,
    notAfter: 1_760_086_400n,
    nonce: 10n,
    deadline: 1_760_003_600n,
  },
  Delegation: {
    resident: RESIDENT,
    delegate: DELEGATE,
    relation: 0,
    notAfter: 1_790_000_000n,
    nonce: 11n,
    deadline: 1_760_003_600n,
  },
  DelegationRevocation: {
    resident: RESIDENT,
    delegate: DELEGATE,
    delegationId: h("delegation"),
    nonce: 12n,
    deadline: 1_760_003_600n,
  },
  Reshare: {
    parentId: h("grant"),
    grantee: h("project:diabetes-cohort"),
    granteeKind: 2,
    categories: [],
    recordIds: [h("record:1"), h("record:2"), h("record:3")],
    fields: [h("field:diagnosis")],
    purposes: 0b100,
    notAfter: 1_761_000_000n,
    nonce: 13n,
    deadline: 1_760_003_600n,
  },
};

test("defines exactly the message types whose type hashes ConsentRegistry declares", () => {
  assert.deepEqual(
    [...TYPEHASH_STRINGS.keys()].sort(),
    CONSENT_PRIMARY_TYPES.map(typehashName).sort(),
    "one type per *_TYPEHASH constant",
  );
});

for (const type of CONSENT_PRIMARY_TYPES) {
  test(`${type}: the type string is the contract's ${typehashName(type)} string, byte for byte`, () => {
    const declared = TYPEHASH_STRINGS.get(typehashName(type));
    assert.equal(consentTypeString(type), declared);
    assert.equal(consentTypeHash(type), h(declared!));
  });
}

test("the field lists are the structs the contract's digest views take (from the generated ABI)", () => {
  for (const type of CONSENT_PRIMARY_TYPES) {
    const view = consentRegistryAbi.find((item) => item.type === "function" && item.name === DIGEST_VIEW[type]);
    assert.ok(view && view.type === "function", DIGEST_VIEW[type]);
    const [struct] = view.inputs as readonly {
      internalType?: string;
      components?: readonly { name: string; type: string }[];
    }[];
    assert.equal(struct?.internalType, `struct ConsentRegistry.${type}`);
    assert.deepEqual(
      struct.components?.map(({ name, type: t }) => ({ name, type: t })),
      consentTypes[type].map(({ name, type: t }) => ({ name, type: t })),
      type,
    );
  }
});

test("the domain is the one the contract's constructor names", () => {
  const [, name, version] = /EIP712\("([^"]+)", "([^"]+)"\)/.exec(SOURCE) ?? [];
  assert.equal(CONSENT_DOMAIN_NAME, name);
  assert.equal(CONSENT_DOMAIN_VERSION, version);
  assert.deepEqual(DOMAIN, {
    name: "HealthChain ConsentRegistry",
    version: "1",
    chainId: 31337,
    verifyingContract: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
  });
});

test("the typed data carries the primary type only, and hashes as viem hashes it", () => {
  for (const type of CONSENT_PRIMARY_TYPES) {
    const typedData = consentTypedData(type, SAMPLES[type] as never, DOMAIN);
    assert.deepEqual(Object.keys(typedData.types), [type]);
    assert.equal(typedData.primaryType, type);
    assert.equal(consentDigest(type, SAMPLES[type] as never, DOMAIN), hashTypedData(typedData as never));
  }
});

test("digests follow EIP-712 by hand: lists hashed as keccak256(abi.encodePacked(items))", () => {
  const domainSeparator = keccak256(
    encodeAbiParameters(parseAbiParameters("bytes32, bytes32, bytes32, uint256, address"), [
      h("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
      h(CONSENT_DOMAIN_NAME),
      h(CONSENT_DOMAIN_VERSION),
      31337n,
      DOMAIN.verifyingContract,
    ]),
  );
  const list = (items: readonly Hex[]) => keccak256(encodePacked(["bytes32[]"], [items]));
  const g = SAMPLES.ConsentGrant;
  const grantStruct = keccak256(
    encodeAbiParameters(
      parseAbiParameters(
        "bytes32, address, bytes32, uint8, bytes32, bytes32, bytes32, uint8, uint64, uint64, bool, uint256, uint64",
      ),
      [
        consentTypeHash("ConsentGrant"),
        g.resident,
        g.grantee,
        g.granteeKind,
        list(g.categories),
        list(g.recordIds),
        list(g.fields),
        g.purposes,
        g.notBefore,
        g.notAfter,
        g.mayReshare,
        g.nonce,
        g.deadline,
      ],
    ),
  );
  const expected = keccak256(concat(["0x1901", domainSeparator, grantStruct]));
  assert.equal(consentDigest("ConsentGrant", g, DOMAIN), expected);
  assert.equal(grantIdOf("ConsentGrant", g, DOMAIN), expected, "the grant id is the digest");

  const d = SAMPLES.DelegationRevocation;
  const revocationStruct = keccak256(
    encodeAbiParameters(parseAbiParameters("bytes32, address, address, bytes32, uint256, uint64"), [
      consentTypeHash("DelegationRevocation"),
      d.resident,
      d.delegate,
      d.delegationId,
      d.nonce,
      d.deadline,
    ]),
  );
  assert.equal(
    consentDigest("DelegationRevocation", d, DOMAIN),
    keccak256(concat(["0x1901", domainSeparator, revocationStruct])),
  );
});

test("the digest binds the chain, the contract and every field", () => {
  const base = consentDigest("ConsentGrant", SAMPLES.ConsentGrant, DOMAIN);
  assert.notEqual(
    consentDigest("ConsentGrant", SAMPLES.ConsentGrant, consentDomain(1, DOMAIN.verifyingContract)),
    base,
  );
  assert.notEqual(consentDigest("ConsentGrant", SAMPLES.ConsentGrant, consentDomain(31337, RESIDENT)), base);
  assert.notEqual(consentDigest("ConsentGrant", { ...SAMPLES.ConsentGrant, mayReshare: false }, DOMAIN), base);
  assert.notEqual(consentDigest("ConsentGrant", { ...SAMPLES.ConsentGrant, recordIds: [h("record:1")] }, DOMAIN), base);
});

for (const type of CONSENT_PRIMARY_TYPES) {
  test(`${type}: a viem local account signs it and the signer is recovered`, async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const message = SAMPLES[type] as ConsentMessage<ConsentPrimaryType>;
    const typedData = consentTypedData(type, message as never, DOMAIN);
    const signature = await account.signTypedData(typedData as never);
    assert.equal(await recoverConsentSigner(type, message as never, DOMAIN, signature), account.address);
    assert.equal(await verifyTypedData({ ...typedData, address: account.address, signature } as never), true);
    const other = consentDomain(31338, DOMAIN.verifyingContract);
    assert.notEqual(
      await recoverConsentSigner(type, message as never, other, signature),
      account.address,
      "another chain",
    );
  });
}

test("viem's wallet client, hashTypedData and recoverTypedDataAddress take the typed data as it is", async () => {
  const account = privateKeyToAccount(generatePrivateKey());
  // A local account signs without asking the node: the transport is never called.
  const wallet = createWalletClient({
    account,
    transport: custom({ request: () => Promise.reject(new Error("no node")) }),
  });
  const typedData = consentTypedData("ConsentGrant", SAMPLES.ConsentGrant, DOMAIN);
  const signature = await wallet.signTypedData(typedData);
  assert.equal(await recoverTypedDataAddress({ ...typedData, signature }), account.address);
  assert.equal(hashTypedData(typedData), grantIdOf("ConsentGrant", SAMPLES.ConsentGrant, DOMAIN));
});

test("message types are derived from the type definitions (compile-time check)", () => {
  const answer: ConsentMessage<"RequestAnswer"> = SAMPLES.RequestAnswer;
  // @ts-expect-error uint64 fields are bigints
  const wrong: ConsentMessage<"ConsentRevocation"> = { grantId: h("g"), nonce: 1n, deadline: 5 };
  assert.equal(typeof answer.notAfter, "bigint");
  assert.equal(typeof wrong.deadline, "number");
});

// The public surface of the sdk: everything a component may import is re-exported here.
export * from "./errors.ts";
export { type BytesLike, toBytes, toHex, utf8, concatBytes, constantTimeEqual } from "./bytes.ts";

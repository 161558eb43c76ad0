/**
 * Wire tags (`field_number << 3 | wire_type`) of protobuf message fields, taken from the loaded
 * `.proto` schema, for decoders that walk the wire format themselves.
 */
import protobuf from 'protobufjs';

/**
 * How a decoder reads a field: the protobuf scalar type it expects, or `enum` / `message`.
 * Only the kinds the OTLP decoder reads are listed.
 */
export type FieldKind =
  | 'bool'
  | 'bytes'
  | 'double'
  | 'enum'
  | 'fixed32'
  | 'fixed64'
  | 'int64'
  | 'message'
  | 'sfixed64'
  | 'sint32'
  | 'string'
  | 'uint32'
  | 'uint64';

/** Wire types of the kinds that are not protobuf scalar type names. */
const VARINT = 0;
const LENGTH_DELIMITED = 2;

/**
 * The wire tag of each named field of `type` (lowerCamelCase field names, as protobufjs loads
 * them), checking that the schema declares each field as the kind the decoder will read it as.
 *
 * Meant to run once, at module load: a mismatch between a decoder and the `.proto` files is a
 * programming error and throws there, not on the first request.
 */
export function fieldTags<const Fields extends Record<string, FieldKind>>(
  type: protobuf.Type,
  fields: Fields,
): { readonly [Name in keyof Fields]: number } {
  const tags: Record<string, number> = {};
  for (const [name, kind] of Object.entries(fields)) {
    const field = type.fields[name];
    if (field === undefined) throw new Error(`Expected the schema of ${type.fullName} to have a field \`${name}\``);
    field.resolve();
    const declared = field.map
      ? 'map'
      : field.resolvedType instanceof protobuf.Enum
        ? 'enum'
        : field.resolvedType instanceof protobuf.Type
          ? 'message'
          : field.type;
    if (declared !== kind) throw new Error(`Expected ${type.fullName}.${name} to be ${kind} in the schema, got ${declared}`);
    const wireType = kind === 'enum' ? VARINT : kind === 'message' ? LENGTH_DELIMITED : protobuf.types.basic[kind];
    tags[name] = ((field.id << 3) | wireType) >>> 0;
  }
  return tags as { readonly [Name in keyof Fields]: number };
}

import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { toProto3Json } from "./proto-json.js";
import { formatTimestamp } from "./timestamp.js";

const PROTO = `
syntax = "proto3";
package t;
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
enum Color { COLOR_UNSET = 0; COLOR_RED = 1; }
message Inner { string note_text = 1; }
message All {
  int64 big = 1;
  uint64 ubig = 2;
  bytes raw = 3;
  Color color = 4;
  map<int64, string> by_id = 5;
  repeated int32 nums = 6;
  optional int32 maybe = 7;
  oneof pick { string picked_name = 8; int32 picked_num = 9; }
  google.protobuf.Any any = 10;
  google.protobuf.Any any_wkt = 11;
  google.protobuf.Duration took = 12;
  google.protobuf.Int64Value wrapped = 13;
  google.protobuf.FieldMask mask = 14;
  string custom = 15 [json_name = "Custom_Name"];
  double ratio = 16;
  Inner inner = 17;
  google.protobuf.Timestamp at = 18;
  repeated Inner inners = 19;
  bool flag = 20;
  string empty = 21;
}
`;

const root = new protobuf.Root();
for (const file of ["any", "duration", "field_mask", "timestamp", "wrappers"]) {
  const common = protobuf.common.get(`google/protobuf/${file}.proto`);
  if (common?.nested !== undefined) root.addJSON(common.nested);
}
protobuf.parse(PROTO, root, { keepCase: true });
root.resolveAll();
const All = root.lookupType("t.All");
const Inner = root.lookupType("t.Inner");
const Duration = root.lookupType("google.protobuf.Duration");

function render(object: Record<string, unknown>): unknown {
  return toProto3Json(All, All.decode(All.encode(All.fromObject(object)).finish()));
}

describe("toProto3Json", () => {
  it("renders every kind of field as proto3 canonical JSON", () => {
    expect(
      render({
        big: "-9007199254740993",
        ubig: "18446744073709551615",
        raw: Buffer.from([0xfb, 0xff]),
        color: 1,
        by_id: { "12": "twelve" },
        nums: [1, 2],
        maybe: 0,
        picked_num: 0,
        any: { type_url: "type.googleapis.com/t.Inner", value: Inner.encode({ note_text: "n" }).finish() },
        any_wkt: {
          type_url: "type.googleapis.com/google.protobuf.Duration",
          value: Duration.encode({ seconds: 1, nanos: 500_000_000 }).finish(),
        },
        took: { seconds: -3, nanos: -10_000 },
        wrapped: { value: "5" },
        mask: { paths: ["user.display_name", "id"] },
        custom: "c",
        ratio: Number.NaN,
        inner: {},
        at: { seconds: 0, nanos: 1_000 },
        inners: [{ note_text: "a" }],
      }),
    ).toEqual({
      big: "-9007199254740993",
      ubig: "18446744073709551615",
      raw: "+/8=",
      color: "COLOR_RED",
      byId: { "12": "twelve" },
      nums: [1, 2],
      maybe: 0,
      pickedNum: 0,
      any: { "@type": "type.googleapis.com/t.Inner", noteText: "n" },
      anyWkt: { "@type": "type.googleapis.com/google.protobuf.Duration", value: "1.5s" },
      took: "-3.00001s",
      wrapped: "5",
      mask: "user.displayName,id",
      Custom_Name: "c",
      ratio: "NaN",
      inner: {},
      at: "1970-01-01T00:00:00.000001Z",
      inners: [{ noteText: "a" }],
    });
  });

  it("omits fields at their default and unset optional fields", () => {
    expect(render({ big: 0, flag: false, empty: "", color: 0, nums: [] })).toEqual({});
  });

  it("writes an unknown enum number as a number and an unknown Any type with its bytes", () => {
    expect(render({ color: 7, any: { type_url: "type.googleapis.com/t.Nope", value: Buffer.from([1]) } })).toEqual({
      color: 7,
      any: { "@type": "type.googleapis.com/t.Nope", value: "AQ==" },
    });
  });
});

describe("formatTimestamp", () => {
  it("writes 0, 3, 6 or 9 fractional digits", () => {
    expect(formatTimestamp({ seconds: 1_700_000_000, nanos: 0 })).toBe("2023-11-14T22:13:20Z");
    expect(formatTimestamp({ seconds: 1_700_000_000, nanos: 120_000_000 })).toBe("2023-11-14T22:13:20.120Z");
    expect(formatTimestamp({ seconds: 1_700_000_000, nanos: 123_000 })).toBe("2023-11-14T22:13:20.000123Z");
    expect(formatTimestamp({ seconds: 1_700_000_000, nanos: 123_400 })).toBe("2023-11-14T22:13:20.000123400Z");
    expect(formatTimestamp({ seconds: -1, nanos: 5 })).toBe("1969-12-31T23:59:59.000000005Z");
  });

  it("rejects what no date can hold", () => {
    expect(() => formatTimestamp({ seconds: 1e15, nanos: 0 })).toThrow(/cannot be written as an RFC 3339 date/);
    expect(() => formatTimestamp({ seconds: 0, nanos: -1 })).toThrow(/cannot be written/);
  });
});

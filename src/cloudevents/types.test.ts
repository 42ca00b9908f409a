import { describe, expect, it } from "vitest";
import { bridgeType, TypeName } from "../proto/protos.js";
import { ACTOR_MEMBERS, WORKFLOW_MEMBERS } from "./types.js";

// The member lists are written once, in types.ts; this keeps them equal to proto/.

describe("the event member lists", () => {
  it("name the members of the protos' event_type oneofs, in field-number order", () => {
    const members = (typeName: string): string[] =>
      [...(bridgeType(typeName).oneofs["event_type"]?.fieldsArray ?? [])]
        .sort((a, b) => a.id - b.id)
        .map((field) => field.name);
    expect(Object.keys(WORKFLOW_MEMBERS)).toEqual(members(TypeName.WorkflowsEvent));
    expect(Object.keys(ACTOR_MEMBERS)).toEqual(members(TypeName.ActorsEvent));
  });
});

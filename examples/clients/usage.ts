// Compiled by the codegen test against the generated types: a wrong field or enum value here
// fails `tsc --strict`, as it would in a front-end team's build.
import type { OffenderLookupQuery, OffenderStatus } from "./generated/graphql";

export function describe(result: OffenderLookupQuery): string {
  const offender = result.offender;
  if (offender === null) return "not found";
  if (offender.restricted || offender.name === null) return "access restricted";
  const status: OffenderStatus | null = offender.status; // null without the SENTENCE field group
  const born: string | null = offender.dateOfBirth;
  const custody = offender.custody.map((c) => `${c.prisonName} (${c.inOutStatus}) from ${c.startDate}`);
  const partial = offender.sources.some((s) => s.outcome === "FAILED" || s.outcome === "STALE");
  return `${offender.name.forename} ${offender.name.surname}, born ${born ?? "?"}: ${status ?? "?"}` +
    `${partial ? " (partial)" : ""}; ${custody.join(", ")}`;
}

// Compose subgraphs into a supergraph with The Guild's composition library (the one Hive uses).
// Usage: node compose.mjs OUT name=url [name=url ...]; each subgraph's SDL is read from its
// `_service { sdl }`, as a schema registry would. Exits 1 with the composition errors.
import { writeFileSync } from "node:fs";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const [out, ...subgraphs] = process.argv.slice(2);

async function sdlOf(url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  if (!body.data) throw new Error(`${url}: ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}

const services = [];
for (const entry of subgraphs) {
  const [name, url] = entry.split("=");
  services.push({ name, url, typeDefs: parse(await sdlOf(url)) });
}
const result = composeServices(services);
if (result.errors && result.errors.length) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
console.log(`supergraph of ${services.length} subgraphs written`);

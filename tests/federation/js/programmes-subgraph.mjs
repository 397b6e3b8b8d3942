// Another team's subgraph, written as that team would with Apollo's @apollo/subgraph: it knows
// which rehabilitation programmes a person attends, by NOMS number, and extends our Offender
// entity with them. Usage: node programmes-subgraph.mjs PORT '[{"noms": "A1234AA", "name": "..."}]'
import http from "node:http";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { graphql } from "graphql";
import gql from "graphql-tag";

const port = Number(process.argv[2]);
const enrolments = JSON.parse(process.argv[3]);

const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])

  type Query {
    "Every programme enrolment this team holds."
    programmes: [Programme!]!
  }

  "A rehabilitation programme a person attends."
  type Programme {
    name: String!
    offender: Offender!
  }

  type Offender @key(fields: "identifiers { nomsNumber }") {
    identifiers: Identifiers!
    "The programmes the person attends (another team's field on our entity)."
    programmes: [Programme!]!
  }

  type Identifiers @shareable {
    nomsNumber: String
  }
`;

const offender = (noms) => ({ identifiers: { nomsNumber: noms } });
const resolvers = {
  Query: {
    programmes: () => enrolments.map((e) => ({ name: e.name, noms: e.noms })),
  },
  Programme: {
    offender: (programme) => offender(programme.noms),
  },
  Offender: {
    __resolveReference: (reference) => offender(reference.identifiers.nomsNumber),
    programmes: (person) =>
      enrolments
        .filter((e) => e.noms === person.identifiers.nomsNumber)
        .map((e) => ({ name: e.name, noms: e.noms })),
  },
};

const schema = buildSubgraphSchema({ typeDefs, resolvers });

http
  .createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", async () => {
      const { query, variables, operationName } = JSON.parse(body || "{}");
      const result = await graphql({ schema, source: query, variableValues: variables, operationName });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(result));
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`programmes subgraph on ${port}`));

// GraphQL Mesh compose config for the peer of benchmarks/peer/run.py: one SOAP prison system
// (simulators/soap_prison.py, its WSDL fetched from PRISON_URL) and one rest-camel probation
// system (probation-openapi.json at PROBATION_URL), joined on the NOMS number: the prison's
// FindOffender, then the probation cases carrying that NOMS number (CRN and offender managers).
import { readFileOrUrl } from '@graphql-mesh/utils';
import { defineConfig, type LoaderContext } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';
import { SOAPLoader } from '@omnigraph/soap';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, DirectiveLocation, GraphQLDirective, GraphQLSchema, GraphQLString } from 'graphql';

const prisonUrl = required('PRISON_URL');
const probationUrl = required('PROBATION_URL');
const SOAP_11 = 'http://schemas.xmlsoap.org/soap/envelope/';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (benchmarks/peer/run.py sets it)`);
  return value;
}

// @omnigraph/soap 0.96 (the newest on the registry) has a loader but no subgraph handler; it
// takes only http(s) URIs as XML namespaces (ours is a URN); and its @soap directive lacks the
// envelope namespace @graphql-mesh/transport-soap reads (which otherwise assumes SOAP 1.2; the
// simulator speaks 1.1) and the SOAPAction it sends. All of these are made up for here.
class URNAwareSOAPLoader extends SOAPLoader {
  getAliasMapFromAttributes(attributes: Record<string, string>): Map<string, string> {
    const aliases = new Map<string, string>();
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (name !== 'targetNamespace' && /^[a-z][a-z0-9+.-]*:/i.test(value)) aliases.set(name, value);
    }
    return aliases;
  }
}

function loadPrisonSubgraph(name: string) {
  return ({ fetch, cwd, logger }: LoaderContext) => {
    const source = `${prisonUrl}?wsdl`;
    const loader = new URNAwareSOAPLoader({ fetch });
    const schema$ = readFileOrUrl<string>(source, { allowUnknownExtensions: true, cwd, fetch, logger, importFn: (m: string) => import(m) })
      .then(wsdl => loader.loadWSDL(wsdl))
      .then(wsdl => {
        loader.loadedLocations.set(source, wsdl);
        return withSoapTransport(name, loader.buildSchema());
      });
    return { name, schema$ };
  };
}

function withSoapTransport(subgraph: string, built: GraphQLSchema): GraphQLSchema {
  // The loader writes @soap on the fields' AST nodes: add the missing arguments there, with the
  // SOAPAction our WSDL binds to each operation (`{namespace}/{operation}`).
  const sdl = printSchemaWithDirectives(built)
    .replaceAll(
      /(?<!directive )@soap\(elementName: "(\w+)Response", bindingNamespace: "([^"]+)"/g,
      (_, operation: string, namespace: string) =>
        `@soap(soapNamespace: "${SOAP_11}", subgraph: "${subgraph}", soapAction: "${namespace}/${operation}", ` +
        `elementName: "${operation}Response", bindingNamespace: "${namespace}"`,
    )
    .replace('directive @soap(', 'directive @soap(soapNamespace: String, subgraph: String, soapAction: String, ');
  const schema = buildSchema(sdl, { assumeValidSDL: true });
  const config = schema.toConfig();
  const annotated = new GraphQLSchema({ ...config, directives: [...config.directives, transportDirective] });
  annotated.extensions = { directives: { transport: [{ kind: 'soap', subgraph, location: prisonUrl }] } };
  return annotated;
}

const transportDirective = new GraphQLDirective({
  name: 'transport',
  isRepeatable: true,
  locations: [DirectiveLocation.SCHEMA],
  args: { kind: { type: GraphQLString }, subgraph: { type: GraphQLString }, location: { type: GraphQLString } },
});

export const composeConfig = defineConfig({
  subgraphs: [
    { sourceHandler: loadPrisonSubgraph('prison') },
    {
      sourceHandler: loadOpenAPISubgraph('probation', {
        source: './probation-openapi.json',
        endpoint: probationUrl,
        // the gateway interpolates it from its own environment, per request
        operationHeaders: { Authorization: 'Bearer {env.PROBATION_TOKEN}' },
        selectQueryOrMutationField: [{ type: 'Query', fieldName: 'findByIdentifiers' }],
      }),
    },
  ],
  additionalTypeDefs: /* GraphQL */ `
    extend type PrisonOffenderService_OffenderSummary {
      probation: IdentifiersResponse
        @resolveTo(
          sourceName: "probation"
          sourceTypeName: "Query"
          sourceFieldName: "findByIdentifiers"
          requiredSelectionSet: "{ nomsNumber }"
          sourceArgs: { input: { identifiers: [{ type: "NOMS", value: "{root.nomsNumber}" }] } }
        )
    }
  `,
});

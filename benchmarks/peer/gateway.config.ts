// Hive Gateway for the peer of benchmarks/peer/run.py: the composed supergraph as given on the
// command line, its defaults otherwise; only warnings and errors are logged (no line per request).
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({ logging: 'warn' });

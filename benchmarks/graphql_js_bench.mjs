// graphql-js side of benchmarks/graphql.py: the same workloads, timed in node.
//
// usage: node graphql_js_bench.mjs PREFIX < config.json
//   PREFIX: a directory where `npm install --prefix PREFIX graphql` was run.
//   config: {"sdl", "query", "itemsQuery", "items", "introspection", "repeat", "seconds"}
// prints: {"version", "results": {workload: {"wall": [seconds per call...], "cpu": [...]}}}
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const require = createRequire(path.join(process.argv[2], "package.json"));
const graphql = require("graphql");
const config = JSON.parse(readFileSync(0, "utf8"));

const schema = graphql.buildSchema(config.sdl);
const document = graphql.parse(config.query);
const itemsDocument = graphql.parse(config.itemsQuery);
const introspectionDocument = graphql.parse(config.introspection);
const rootValue = { items: config.items };

function check(result, what) {
  if (result.errors && result.errors.length) {
    throw new Error(`${what}: ${JSON.stringify(result.errors)}`);
  }
}
if (graphql.validate(schema, document).length) throw new Error("the 10 KB query is invalid");
check(graphql.execute({ schema, document: itemsDocument, rootValue }), "items");
check(graphql.execute({ schema, document: introspectionDocument }), "introspection");

const workloads = {
  "parse 10 KB query": () => graphql.parse(config.query),
  "validate 10 KB query": () => graphql.validate(schema, document),
  "execute 1,000 x 10 scalar fields": () =>
    graphql.execute({ schema, document: itemsDocument, rootValue }),
  "execute introspection": () => graphql.execute({ schema, document: introspectionDocument }),
  "parse+validate+execute introspection": () =>
    graphql.graphqlSync({ schema, source: config.introspection }),
};

function calibrate(fn) {
  for (let i = 0; i < 3; i++) fn();
  let loops = 1;
  for (;;) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < loops; i++) fn();
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    if (elapsed >= 0.02) return Math.max(1, Math.round((loops * config.seconds) / elapsed));
    loops *= 4;
  }
}

const loops = {};
const results = {};
for (const [name, fn] of Object.entries(workloads)) {
  loops[name] = calibrate(fn);
  results[name] = { wall: [], cpu: [] };
}
for (let round = 0; round < config.repeat; round++) {
  for (const [name, fn] of Object.entries(workloads)) {
    const n = loops[name];
    const cpuStarted = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    results[name].wall.push(wall / n);
    results[name].cpu.push((cpu.user + cpu.system) / 1e6 / n);
  }
}
process.stdout.write(JSON.stringify({ version: graphql.version, results }));

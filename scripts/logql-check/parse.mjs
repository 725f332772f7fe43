// Parses LogQL queries with Grafana's own grammar (@grafana/lezer-logql, what Grafana's Loki query
// editor uses) and reports every error node. Input on stdin: a JSON array of {"name", "query"}.
// Output: one line per query, "ok <name>" or "error <name> at <offset>: <query with a marker>".
// Exit status 1 when any query has an error node. Run by LogQlGrammarTest.
import { parser } from '@grafana/lezer-logql';

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const queries = JSON.parse(Buffer.concat(chunks).toString('utf8'));
let failed = 0;
for (const { name, query } of queries) {
  const tree = parser.parse(query);
  const errors = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(node.from);
      }
    },
  });
  if (tree.topNode.firstChild === null) {
    errors.push(0);
  }
  if (errors.length === 0) {
    console.log(`ok ${name}`);
  } else {
    failed++;
    const at = errors[0];
    console.log(`error ${name} at ${at}: ${query.slice(0, at)}<<HERE>>${query.slice(at)}`);
  }
}
console.log(`${queries.length - failed} parsed, ${failed} with errors`);
process.exit(failed === 0 ? 0 : 1);

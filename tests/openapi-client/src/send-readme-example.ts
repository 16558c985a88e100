// Sends the README's example message through a client generated from openapi/openapi.json
// (openapi-typescript types + openapi-fetch), against a running service:
//   EMAILAPI_URL=http://127.0.0.1:PORT EMAILAPI_KEY=ea_... node dist/src/send-readme-example.js
// That this file compiles is half the check: `to` with {email, name} objects, the optional
// Idempotency-Key header and the status enums must all be in the document. Exits non-zero on any
// difference from what the README promises.
import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import type { paths } from "../generated/schema.js";

const baseUrl = process.env.EMAILAPI_URL;
const key = process.env.EMAILAPI_KEY;
if (!baseUrl || !key) throw new Error("Set EMAILAPI_URL and EMAILAPI_KEY.");

const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });
const problems: string[] = [];
const check = (ok: boolean, what: string) => { if (!ok) problems.push(what); };

// README.md, "Send a message", written out so that the compiler checks it against the generated types.
const body: paths["/v1/send"]["post"]["requestBody"]["content"]["application/json"] = {
  from: "Shop <shop@example.com>",
  to: ["ana@example.org", { email: "bo@example.net", name: "Bo" }],
  subject: "Your order",
  text: "Thanks!",
  html: "<p>Thanks!</p>",
  attachments: [{ filename: "invoice.pdf", content: "JVBERi0xLjQK", contentType: "application/pdf" }],
  tags: ["orders"],
  metadata: { order: "1042" },
};

// The copy above must be the README's example: the body of its `curl ... /v1/send ... -d '...'`.
const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");
const shown = /curl -i \S+\/v1\/send \\[\s\S]*?-d '([\s\S]*?)'/.exec(readme)?.[1];
check(shown !== undefined, "README.md has no curl example for /v1/send");
if (shown !== undefined) check(canonical(JSON.parse(shown)) === canonical(body), `README.md's example differs from this program's: ${shown}`);

const sent = await client.POST("/v1/send", {
  params: { header: { "Idempotency-Key": `readme-example-${Date.now()}` } },
  body,
});
check(sent.response.status === 202, `POST /v1/send answered ${sent.response.status}: ${JSON.stringify(sent.error)}`);
const id = sent.data?.id ?? "";
check(/^[A-Za-z0-9_-]+$/.test(id), `no message id in ${JSON.stringify(sent.data)}`);
check(sent.data?.status === "queued", `status ${sent.data?.status}, expected queued`);
const emails = (sent.data?.recipients ?? []).map((r) => r.email).join(",");
check(emails === "ana@example.org,bo@example.net", `recipients ${emails}, expected ana@example.org,bo@example.net`);
check(sent.response.headers.get("Location") === `/v1/messages/${id}`, `Location ${sent.response.headers.get("Location")}`);

// Follow it where the Location points, through the typed path parameter.
if (id) {
  const message = await client.GET("/v1/messages/{id}", { params: { path: { id } } });
  check(message.response.status === 200, `GET /v1/messages/${id} answered ${message.response.status}`);
  const subject: string | null | undefined = message.data?.subject;
  check(subject === "Your order", `subject ${subject}`);
  check((message.data?.recipients ?? []).length === 2, `GET /v1/messages/${id} shows ${message.data?.recipients.length} recipients`);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(value);
}

if (problems.length > 0) {
  for (const p of problems) console.error(`FAIL ${p}`);
  process.exit(1);
}
console.log(`sent the README example: 202, id ${id}, recipients ${emails}`);

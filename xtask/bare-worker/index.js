// The floor for `cargo xtask bench`: the cheapest Worker there is, answering a fixed JSON
// document, run by the same wrangler and workerd as the API.
const body = JSON.stringify({ id: "0123456789abcdef0123456789abcdef", studentUniqueId: "604800", firstName: "Layla" });

export default {
  async fetch() {
    return new Response(body, { headers: { "Content-Type": "application/json; charset=utf-8" } });
  },
};

// Builds the observation pages' service worker with workbox-build (`make assets` runs it).
//
//   node clusterwise/observation/pwa/build-sw.mjs
//
// Writes clusterwise/core/static/vendor/observation/sw.js (git-ignored; served by the
// view at /observation/sw.js, which maps each /static/ URL through Django's static storage
// so hashed production names work too). The Workbox runtime is inlined: nothing comes from
// a CDN. The worker precaches the static files the observation pages use (each with a hash
// of its content, so a changed file updates the worker) and keeps the pages under
// /observation/ network-first, falling back to the last copy when the network is gone.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateSW } from "workbox-build";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const APPS = path.join(ROOT, "clusterwise");
const DEST = path.join(APPS, "core/static/vendor/observation/sw.js");
const STATIC_URL = "/static/";

// The shell every page loads (base.html) and the offline pieces' own libraries.
const SHELL = [
  "core/app.css",
  "core/app.js",
  "core/favicon.svg",
  "vendor/bootstrap/bootstrap.min.css",
  "vendor/bootstrap/bootstrap.bundle.min.js",
  "vendor/htmx/htmx.min.js",
  "vendor/dexie/dexie.min.js",
  "vendor/workbox-window/workbox-window.prod.umd.js",
];

// The app static folders hold the files under the names Django serves them by (after
// /static/): clusterwise/<app>/static/<name>.
const toStaticUrl = (entries) => ({
  manifest: entries.map((entry) => ({
    ...entry,
    url: STATIC_URL + entry.url.replace(/^[^/]+\/static\//, ""),
  })),
  warnings: [],
});

const missing = SHELL.filter((name) => !existsSync(path.join(APPS, "core/static", name)));
if (missing.length) {
  console.error(`Missing static files (copy the vendor files first): ${missing.join(", ")}`);
  process.exit(1);
}

const { count, size, warnings } = await generateSW({
  swDest: DEST,
  mode: "production",
  sourcemap: false,
  inlineWorkboxRuntime: true,
  skipWaiting: true,
  clientsClaim: true,
  cleanupOutdatedCaches: true,
  cacheId: "clusterwise-observation",
  globDirectory: APPS,
  globPatterns: [
    ...SHELL.map((name) => `core/static/${name}`),
    "observation/static/observation/**/*",
  ],
  manifestTransforms: [toStaticUrl],
  runtimeCaching: [
    {
      // The form's own query (?teacher=…&visit=…) only preselects, and the page reads it
      // itself: offline, any query gets the last copy of the form.
      urlPattern: ({ request, url }) =>
        request.mode === "navigate" && url.pathname === "/observation/observe/",
      handler: "NetworkFirst",
      options: {
        cacheName: "observation-pages",
        networkTimeoutSeconds: 4,
        matchOptions: { ignoreSearch: true, ignoreVary: true },
        cacheableResponse: { statuses: [200] },
        expiration: { maxEntries: 60 },
      },
    },
    {
      // Plan, caseload, outbox and the other pages under /observation/ (not file exports).
      urlPattern: ({ request, url }) =>
        request.mode === "navigate" &&
        url.pathname.startsWith("/observation/") &&
        !url.pathname.includes("/export"),
      handler: "NetworkFirst",
      options: {
        cacheName: "observation-pages",
        networkTimeoutSeconds: 4,
        matchOptions: { ignoreVary: true },
        cacheableResponse: { statuses: [200] },
        expiration: { maxEntries: 60 },
      },
    },
  ],
});
for (const warning of warnings) {
  console.warn(warning);
}
console.log(`service worker: ${path.relative(ROOT, DEST)} precaches ${count} files, ${size} bytes`);

/** Where the e2e stack that playwright.config.ts starts lives: one place for its ports and data. */
const port = Number(process.env.E2E_PORT ?? 3100);

export const e2eStack = {
  port,
  baseURL: `http://localhost:${port}`,
  dataDir: ".data/e2e",
  embeddedDbPort: port + 20_000,
  emulatorPort: port + 5_443,
  emulatorIdentityPort: port + 5_444,
  emulatorUrl: `https://localhost:${port + 5_443}`,
};

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium (`.ci/apt-packages`). */
export const CHROMIUM = process.env.AGL_CHROMIUM ?? '/usr/bin/chromium';

/** A headless Chromium with a fresh profile in a temporary directory; `close()` removes it. */
export async function launchBrowser(): Promise<{ context: BrowserContext; page: Page; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'agl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

interface BrowserGlobals {
  Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
  document: {
    createElement(tag: 'canvas'): {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        drawImage(image: unknown, x: number, y: number): void;
        getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
      } | null;
    };
  };
}

/**
 * How much of a screenshot is drawn: the share of pixels that differ from its most common colour
 * (the background) and the number of distinct colours, counted by decoding the PNG in a blank
 * page of the same browser.
 */
export async function screenshotInk(context: BrowserContext, png: Buffer): Promise<{ inkShare: number; colours: number }> {
  const page = await context.newPage();
  try {
    return await page.evaluate(async (dataUrl) => {
      // Runs in the page; the project's type-check has no DOM library, so the few names used are declared here.
      const { Image, document } = globalThis as unknown as BrowserGlobals;
      const image = new Image();
      image.src = dataUrl;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context2d = canvas.getContext('2d')!;
      context2d.drawImage(image, 0, 0);
      const { data } = context2d.getImageData(0, 0, image.width, image.height);
      const counts = new Map<number, number>();
      for (let index = 0; index < data.length; index += 4) {
        const colour = (data[index] << 16) | (data[index + 1] << 8) | data[index + 2];
        counts.set(colour, (counts.get(colour) ?? 0) + 1);
      }
      const pixels = data.length / 4;
      const background = Math.max(...counts.values());
      return { inkShare: 1 - background / pixels, colours: counts.size };
    }, `data:image/png;base64,${png.toString('base64')}`);
  } finally {
    await page.close();
  }
}

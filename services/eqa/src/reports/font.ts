// The CJK font: resolved from an option, the EQA_PDF_FONT environment variable or the Debian
// package's file, read once per process (the file is 5 MB; reading and parsing it is the
// expensive part of a render) and embedded as a subset by pdfkit/fontkit.
import { readFileSync } from "node:fs";
import { platformError } from "@health-chain/sdk";

/** Where Debian's fonts-wqy-microhei installs its collection. */
export const DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
/** The proportional face of that collection (fontkit selects a collection's face by PostScript name). */
export const DEFAULT_FONT_NAME = "WenQuanYiMicroHei";
export const FONT_PACKAGE = "fonts-wqy-microhei";

export interface LoadedFont {
  readonly path: string;
  readonly name: string;
  readonly bytes: Uint8Array;
}

const cache = new Map<string, Uint8Array>();

/** The font file to use: the option, else EQA_PDF_FONT, else the Debian default. */
export function resolveFontPath(fontPath?: string): string {
  const fromEnv = process.env["EQA_PDF_FONT"];
  return fontPath ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_FONT_PATH);
}

/** The font's bytes, cached per path; a missing or unreadable file is a typed INTERNAL error naming the package. */
export function loadFont(fontPath?: string, fontName?: string): LoadedFont {
  const path = resolveFontPath(fontPath);
  const name = fontName ?? DEFAULT_FONT_NAME;
  let bytes = cache.get(path);
  if (bytes === undefined) {
    try {
      bytes = readFileSync(path);
    } catch (cause) {
      throw platformError("INTERNAL", {
        message: `The PDF font ${path} cannot be read; install the Debian package ${FONT_PACKAGE} (apt-get install ${FONT_PACKAGE}) or set EQA_PDF_FONT to a TrueType font with Chinese glyphs.`,
        messageZh: `无法读取 PDF 字体文件 ${path}；请安装 Debian 软件包 ${FONT_PACKAGE}（apt-get install ${FONT_PACKAGE}），或将 EQA_PDF_FONT 设为含中文字形的 TrueType 字体。`,
        details: { reason: "FONT_MISSING", fontPath: path, package: FONT_PACKAGE },
        cause,
      });
    }
    cache.set(path, bytes);
  }
  return { path, name, bytes };
}

/** The error for a file that exists but is not a usable font (or lacks the named face). */
export function fontUnusable(font: LoadedFont, cause: unknown): Error {
  return platformError("INTERNAL", {
    message: `The PDF font ${font.path} (face ${font.name}) cannot be used: ${cause instanceof Error ? cause.message : String(cause)}. Install ${FONT_PACKAGE} or set EQA_PDF_FONT to a TrueType font with Chinese glyphs.`,
    messageZh: `PDF 字体 ${font.path}（字形 ${font.name}）无法使用；请安装 ${FONT_PACKAGE}，或将 EQA_PDF_FONT 设为含中文字形的 TrueType 字体。`,
    details: { reason: "FONT_UNUSABLE", fontPath: font.path, fontName: font.name, package: FONT_PACKAGE },
    cause,
  });
}

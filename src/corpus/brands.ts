import { join } from 'node:path';
import { createBrandLexicon, type BrandLexicon, type BrandProduct } from '../core/clinical/brands.js';
import { PROJECT_ROOT } from '../config.js';
import { forEachDataRow, readDataTable } from './data-table.js';

/**
 * Reads brand lists (data/brands.tsv, and a deployment's own in the same format named by BRANDS_FILE; the
 * format is in data/README.md). Every malformed line is NER_ERR_BRANDS_INVALID naming the file and line.
 */

export const SHIPPED_BRANDS_FILE = join(PROJECT_ROOT, 'data', 'brands.tsv');

const COLUMNS = ['name', 'variant', 'ingredients', 'strength', 'form', 'match', 'manufacturer', 'source'] as const;
/** The UCUM units a strength may have. */
const STRENGTH_UNITS: ReadonlySet<string> = new Set(['mg', 'g', 'ug', 'mL', '[iU]', 'U', '%']);
/** The number written after the name: "650", "0.4", or thousands as "60K". */
const VARIANT = /^\d+(\.\d+)?K?$/i;
const QUANTITY = /^(\d+(?:\.\d+)?) (\S+)$/;

/** A product's identity in a list: its name and variant, in any case ("60K" is "60k"). */
function productKey(name: string, variant: string | undefined): string {
  return `${name.toLowerCase()}\t${(variant ?? '').toLowerCase()}`;
}

export function parseBrands(text: string, file: string): BrandProduct[] {
  const products: BrandProduct[] = [];
  const seen = new Map<string, number>();
  forEachDataRow(text, file, COLUMNS, 'NER_ERR_BRANDS_INVALID', ({ fields, line, fail }) => {
    const [name, variant, ingredientList, strengthList, form, match, manufacturer, source] = fields as [string, string, string, string, string, string, string, string];
    if (name === '') fail('the name is empty');
    if (variant !== '' && !VARIANT.test(variant)) fail(`the variant must be empty or a number (the one written after the name, e.g. 650, 0.4 or 60K), got "${variant}"`);
    const ingredients = ingredientList.split(' + ').map((i) => i.trim().toLowerCase());
    if (ingredients.some((i) => i === '')) fail('ingredients must be generic names joined by " + "');
    let strength: BrandProduct['strength'];
    if (strengthList !== '') {
      const parts = strengthList.split(' + ');
      if (parts.length !== ingredients.length) fail(`the strength gives ${parts.length} quantities for ${ingredients.length} ingredients`);
      const quantities = parts.map((part) => {
        const m = QUANTITY.exec(part.trim());
        if (!m || !STRENGTH_UNITS.has(m[2] as string)) return fail(`a strength must be "<number> <unit>" with a UCUM unit (${[...STRENGTH_UNITS].join(', ')}), got "${part}"`);
        return { value: Number(m[1]), unit: m[2] as string };
      });
      if (quantities.length === 1) strength = quantities[0];
    }
    if (form === '') fail('the form is empty');
    if (match !== 'name' && match !== 'number') fail(`match must be "name" (the name alone is the brand) or "number" (only with a number after it), got "${match}"`);
    if (manufacturer === '') fail('the manufacturer is empty');
    if (source === '') fail('the source is empty');
    const key = productKey(name, variant);
    const first = seen.get(key);
    if (first !== undefined) fail(`${name}${variant ? ` ${variant}` : ''} is already listed on line ${first}`);
    seen.set(key, line);
    products.push({
      name,
      ...(variant === '' ? {} : { variant }),
      ingredients,
      ...(strength ? { strength } : {}),
      ...(match === 'number' ? { needsVariant: true } : {}),
    });
  });
  return products;
}

export async function readBrandFile(file: string): Promise<BrandProduct[]> {
  return parseBrands(await readDataTable(file, 'brands', 'NER_ERR_BRANDS_INVALID'), file);
}

/**
 * The shipped list and, when given, a deployment's own: a product the deployment lists (same name and
 * variant) replaces the shipped one.
 */
export async function readBrandLexicon(extraFile: string | null = null): Promise<BrandLexicon> {
  const shipped = await readBrandFile(SHIPPED_BRANDS_FILE);
  if (!extraFile) return createBrandLexicon(shipped);
  const own = await readBrandFile(extraFile);
  const key = (p: BrandProduct): string => productKey(p.name, p.variant);
  const replaced = new Set(own.map(key));
  return createBrandLexicon([...own, ...shipped.filter((p) => !replaced.has(key(p)))]);
}

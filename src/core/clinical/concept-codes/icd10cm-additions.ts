import type { IcdRow } from './concept-index.js';

/**
 * ICD-10-CM codes added after the fiscal year of the vocabulary in ../shared/lexicons (FY2019, its README lists
 * the gap), from the CDC's ICD-10-CM addenda: the index holds them beside the vocabulary's rows. COVID-19 is a
 * diagnosis notes write every day, and without these it had no code; hepatic encephalopathy had only the
 * unspecified encephalopathy's.
 */
export const ICD10CM_ADDITIONS: readonly IcdRow[] = [
  // April 2020 (emergency code, then FY2021)
  { code: 'U07', description: 'Emergency use of U07' },
  { code: 'U071', description: 'COVID-19' },
  // FY2021
  { code: 'J1282', description: 'Pneumonia due to coronavirus disease 2019' },
  { code: 'Z8616', description: 'Personal history of COVID-19' },
  // FY2023
  { code: 'K7682', description: 'Hepatic encephalopathy' },
  // FY2022
  { code: 'U09', description: 'Post COVID-19 condition' },
  { code: 'U099', description: 'Post COVID-19 condition, unspecified' },
];

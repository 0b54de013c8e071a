/**
 * What clinicians write for diagnoses that the vocabularies do not hold under that name: abbreviations, and
 * a few names in common use ("enteric fever"), each with the ICD-10-CM code it stands for when written alone
 * (the unspecified or uncomplicated code; a note that says more is coded from its words) and the Disease
 * Ontology term it names. Data, not logic: a row added here is matched case-insensitively; an abbreviation
 * (one word) with a plural "s" or dots ("UTIs", "C.O.P.D."), a name in any word order and number.
 */
export interface DiagnosisShorthand {
  /** An abbreviation (one word) or a name. */
  name: string;
  /** ICD-10-CM, dotted. */
  icd10cm: string;
  /** The name it abbreviates, looked up in the Disease Ontology for the DOID code. */
  term: string;
}

export const DIAGNOSIS_SHORTHAND: readonly DiagnosisShorthand[] = [
  { name: 'HTN', icd10cm: 'I10', term: 'hypertension' },
  { name: 'T2DM', icd10cm: 'E11.9', term: 'type 2 diabetes mellitus' },
  { name: 'T2D', icd10cm: 'E11.9', term: 'type 2 diabetes mellitus' },
  { name: 'DM2', icd10cm: 'E11.9', term: 'type 2 diabetes mellitus' },
  { name: 'NIDDM', icd10cm: 'E11.9', term: 'type 2 diabetes mellitus' },
  { name: 'T1DM', icd10cm: 'E10.9', term: 'type 1 diabetes mellitus' },
  { name: 'DM1', icd10cm: 'E10.9', term: 'type 1 diabetes mellitus' },
  { name: 'IDDM', icd10cm: 'E10.9', term: 'type 1 diabetes mellitus' },
  // Written alone, DM in an adult's prescription is type 2 diabetes, by far the commonest.
  { name: 'DM', icd10cm: 'E11.9', term: 'diabetes mellitus' },
  { name: 'CAD', icd10cm: 'I25.10', term: 'coronary artery disease' },
  { name: 'IHD', icd10cm: 'I25.9', term: 'ischemic heart disease' },
  { name: 'CHF', icd10cm: 'I50.9', term: 'congestive heart failure' },
  { name: 'HF', icd10cm: 'I50.9', term: 'heart failure' },
  { name: 'MI', icd10cm: 'I21.9', term: 'myocardial infarction' },
  { name: 'AMI', icd10cm: 'I21.9', term: 'myocardial infarction' },
  { name: 'STEMI', icd10cm: 'I21.3', term: 'myocardial infarction' },
  { name: 'NSTEMI', icd10cm: 'I21.4', term: 'myocardial infarction' },
  { name: 'ACS', icd10cm: 'I24.9', term: 'acute coronary syndrome' },
  { name: 'AF', icd10cm: 'I48.91', term: 'atrial fibrillation' },
  { name: 'AFib', icd10cm: 'I48.91', term: 'atrial fibrillation' },
  { name: 'CVA', icd10cm: 'I63.9', term: 'stroke' },
  { name: 'TIA', icd10cm: 'G45.9', term: 'transient ischemic attack' },
  { name: 'DVT', icd10cm: 'I82.409', term: 'deep vein thrombosis' },
  { name: 'PE', icd10cm: 'I26.99', term: 'pulmonary embolism' },
  { name: 'COPD', icd10cm: 'J44.9', term: 'chronic obstructive pulmonary disease' },
  { name: 'BA', icd10cm: 'J45.909', term: 'asthma' },
  { name: 'URTI', icd10cm: 'J06.9', term: 'upper respiratory tract infection' },
  { name: 'URI', icd10cm: 'J06.9', term: 'upper respiratory tract infection' },
  { name: 'LRTI', icd10cm: 'J22', term: 'lower respiratory tract infection' },
  { name: 'CAP', icd10cm: 'J18.9', term: 'pneumonia' },
  { name: 'TB', icd10cm: 'A15.9', term: 'tuberculosis' },
  { name: 'PTB', icd10cm: 'A15.0', term: 'pulmonary tuberculosis' },
  { name: 'UTI', icd10cm: 'N39.0', term: 'urinary tract infection' },
  { name: 'CKD', icd10cm: 'N18.9', term: 'chronic kidney disease' },
  { name: 'AKI', icd10cm: 'N17.9', term: 'acute kidney failure' },
  { name: 'ARF', icd10cm: 'N17.9', term: 'acute kidney failure' },
  { name: 'BPH', icd10cm: 'N40.0', term: 'benign prostatic hyperplasia' },
  { name: 'GERD', icd10cm: 'K21.9', term: 'gastroesophageal reflux disease' },
  { name: 'GORD', icd10cm: 'K21.9', term: 'gastroesophageal reflux disease' },
  { name: 'APD', icd10cm: 'K30', term: 'dyspepsia' },
  { name: 'IBS', icd10cm: 'K58.9', term: 'irritable bowel syndrome' },
  { name: 'AGE', icd10cm: 'A09', term: 'gastroenteritis' },
  { name: 'CLD', icd10cm: 'K76.9', term: 'liver disease' },
  { name: 'OA', icd10cm: 'M19.90', term: 'osteoarthritis' },
  { name: 'RA', icd10cm: 'M06.9', term: 'rheumatoid arthritis' },
  { name: 'SLE', icd10cm: 'M32.9', term: 'systemic lupus erythematosus' },
  { name: 'LBP', icd10cm: 'M54.5', term: 'low back pain' },
  { name: 'PCOS', icd10cm: 'E28.2', term: 'polycystic ovary syndrome' },
  { name: 'PCOD', icd10cm: 'E28.2', term: 'polycystic ovary syndrome' },
  { name: 'MDD', icd10cm: 'F32.9', term: 'major depressive disorder' },
  { name: 'GAD', icd10cm: 'F41.1', term: 'generalized anxiety disorder' },
  { name: 'ADHD', icd10cm: 'F90.9', term: 'attention deficit hyperactivity disorder' },
  { name: 'HIV', icd10cm: 'B20', term: 'human immunodeficiency virus infectious disease' },
  { name: 'HLD', icd10cm: 'E78.5', term: 'hyperlipidemia' },
  { name: 'IDA', icd10cm: 'D50.9', term: 'iron deficiency anemia' },
  { name: 'OSA', icd10cm: 'G47.33', term: 'obstructive sleep apnea' },
  { name: 'PUD', icd10cm: 'K27.9', term: 'peptic ulcer disease' },
  { name: 'ARDS', icd10cm: 'J80', term: 'acute respiratory distress syndrome' },
  // Names in common use in Indian and British notes that neither vocabulary has.
  { name: 'enteric fever', icd10cm: 'A01.00', term: 'typhoid fever' },
  { name: 'viral fever', icd10cm: 'B34.9', term: 'viral infectious disease' },
  { name: 'acute gastroenteritis', icd10cm: 'A09', term: 'gastroenteritis' },
  { name: 'bronchial asthma', icd10cm: 'J45.909', term: 'asthma' },
  { name: 'community acquired pneumonia', icd10cm: 'J18.9', term: 'pneumonia' },
  { name: 'diabetic nephropathy', icd10cm: 'E11.21', term: 'diabetic nephropathy' },
  { name: 'acid peptic disease', icd10cm: 'K30', term: 'dyspepsia' },
  { name: 'hyperacidity', icd10cm: 'K30', term: 'dyspepsia' },
  { name: 'common cold', icd10cm: 'J00', term: 'common cold' },
  { name: 'sore throat', icd10cm: 'J02.9', term: 'pharyngitis' },
  { name: 'high blood pressure', icd10cm: 'I10', term: 'hypertension' },
  // Deficiency alone is E53.8; the anaemia (D51) only when the note names it.
  { name: 'vitamin b12 deficiency', icd10cm: 'E53.8', term: 'vitamin B12 deficiency' },
  { name: 'b12 deficiency', icd10cm: 'E53.8', term: 'vitamin B12 deficiency' },
  { name: 'dyslipidemia', icd10cm: 'E78.5', term: 'dyslipidemia' },
  { name: 'dyslipidaemia', icd10cm: 'E78.5', term: 'dyslipidemia' },
  { name: 'stable angina', icd10cm: 'I20.8', term: 'angina pectoris' },
  { name: 'chronic stable angina', icd10cm: 'I20.8', term: 'angina pectoris' },
  // Written alone in an adult's note, diabetes is type 2 (the vocabulary's nearest name is diabetes in pregnancy).
  { name: 'diabetes', icd10cm: 'E11.9', term: 'diabetes mellitus' },
  { name: 'diabetes mellitus', icd10cm: 'E11.9', term: 'diabetes mellitus' },
  { name: 'burning micturition', icd10cm: 'R30.0', term: 'dysuria' },
  { name: 'stroke', icd10cm: 'I63.9', term: 'stroke' },
  { name: 'depression', icd10cm: 'F32.9', term: 'major depressive disorder' },
  { name: 'rash', icd10cm: 'R21', term: 'rash' },
  { name: 'seizure', icd10cm: 'R56.9', term: 'seizure' },
  { name: 'lung cancer', icd10cm: 'C34.90', term: 'lung cancer' },
  { name: 'tuberculosis', icd10cm: 'A15.9', term: 'tuberculosis' },
  { name: 'pulmonary tuberculosis', icd10cm: 'A15.0', term: 'pulmonary tuberculosis' },
  { name: 'sugar', icd10cm: 'E11.9', term: 'type 2 diabetes mellitus' },
];

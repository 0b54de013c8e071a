// msgpackr loads its native accelerator in a try/catch and uses its JavaScript decoder when loading fails.
throw new Error('msgpackr-extract is not installed (stub); msgpackr uses its JavaScript decoder');

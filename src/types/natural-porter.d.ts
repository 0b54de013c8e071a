// natural's package index loads modules that print dotenv banners on stdout; we import the stemmer alone.
declare module 'natural/lib/natural/stemmers/porter_stemmer.js' {
  const porterStemmer: { stem(token: string): string };
  export default porterStemmer;
}

/**
 * A copy of a string that shares no storage with the text it was cut from. V8 keeps a slice of 13 characters
 * or more as a view of its parent: one name kept from a resource file's text would keep the whole text alive.
 */
export function ownString(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}

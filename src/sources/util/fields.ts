import type { Field } from '../../core/spec.ts'

/** The field with the default shown in generated docs replaced (for defaults that are not plain values). */
export function documentedDefault<T>(field: Field<T>, text: string): Field<T> {
  return { ...field, defaultText: text }
}

/* model-jsobject.c: rewrite a minified JavaScript object literal as JSON.
 *
 * nsfwjs ships its tfjs model.json as a JavaScript module whose value is an
 * object literal printed by a minifier. It differs from JSON only in a few
 * lexical ways, which this pass rewrites token by token; json-glib then does
 * the actual parsing:
 *   - keys are bare identifiers (or numbers):   {name:"x"}  -> {"name":"x"}
 *   - booleans are minified to !0 and !1:       !0 -> true, !1 -> false
 *   - numbers may lose their leading zero:      .5 -> 0.5, -.5 -> -0.5
 *     (or their trailing fraction: 5. -> 5)
 *   - strings may be single-quoted or use \xHH escapes.
 * Anything else that is not JSON (functions, undefined, NaN, comments) is an
 * error rather than a guess.
 */
#include "core/model-import.h"

#include <string.h>

typedef struct {
  const char *s;
  gsize       len;
  gsize       i;
  GString    *out;
  char        last;   /* last significant character written */
} Lexer;

static gboolean
fail (Lexer       *lx,
      GError     **error,
      const char  *what)
{
  g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
               "the model script is not a plain object literal: %s at byte %zu",
               what, lx->i);
  return FALSE;
}

static char
peek (Lexer *lx,
      gsize  ahead)
{
  return lx->i + ahead < lx->len ? lx->s[lx->i + ahead] : '\0';
}

static gboolean
is_ident_start (char c)
{
  return g_ascii_isalpha (c) || c == '_' || c == '$';
}

static gboolean
is_ident_char (char c)
{
  return is_ident_start (c) || g_ascii_isdigit (c);
}

/* The next non-space character at or after position i. */
static char
next_significant (Lexer *lx,
                  gsize  i)
{
  while (i < lx->len && g_ascii_isspace (lx->s[i]))
    i++;
  return i < lx->len ? lx->s[i] : '\0';
}

static gboolean
in_key_position (Lexer *lx)
{
  return lx->last == '{' || lx->last == ',';
}

static gboolean
copy_string (Lexer   *lx,
             GError **error)
{
  char quote = lx->s[lx->i++];
  g_string_append_c (lx->out, '"');
  for (;;)
    {
      if (lx->i >= lx->len)
        return fail (lx, error, "unterminated string");
      char c = lx->s[lx->i++];
      if (c == quote)
        break;
      if (c == '\n')
        return fail (lx, error, "newline in a string");
      if (c == '"')
        {
          /* Only possible inside a single-quoted string. */
          g_string_append (lx->out, "\\\"");
          continue;
        }
      if (c != '\\')
        {
          g_string_append_c (lx->out, c);
          continue;
        }
      if (lx->i >= lx->len)
        return fail (lx, error, "unterminated string");
      char e = lx->s[lx->i++];
      if (e == '\'')
        g_string_append_c (lx->out, '\'');
      else if (e == 'x')
        {
          if (!g_ascii_isxdigit (peek (lx, 0)) || !g_ascii_isxdigit (peek (lx, 1)))
            return fail (lx, error, "bad \\x escape");
          g_string_append_printf (lx->out, "\\u00%c%c", lx->s[lx->i],
                                  lx->s[lx->i + 1]);
          lx->i += 2;
        }
      else if (strchr ("\"\\/bfnrtu", e) != NULL)
        {
          g_string_append_c (lx->out, '\\');
          g_string_append_c (lx->out, e);
        }
      else
        return fail (lx, error, "unsupported string escape");
    }
  g_string_append_c (lx->out, '"');
  lx->last = '"';
  return TRUE;
}

static gboolean
copy_number (Lexer   *lx,
             GError **error)
{
  gsize start = lx->out->len;

  if (peek (lx, 0) == '0' && g_ascii_isalpha (peek (lx, 1)) &&
      g_ascii_tolower (peek (lx, 1)) != 'e')
    return fail (lx, error, "non-decimal number");

  if (peek (lx, 0) == '.')
    g_string_append_c (lx->out, '0');
  while (g_ascii_isdigit (peek (lx, 0)))
    g_string_append_c (lx->out, lx->s[lx->i++]);
  if (peek (lx, 0) == '.')
    {
      lx->i++;
      if (g_ascii_isdigit (peek (lx, 0)))
        g_string_append_c (lx->out, '.');
      while (g_ascii_isdigit (peek (lx, 0)))
        g_string_append_c (lx->out, lx->s[lx->i++]);
    }
  if (peek (lx, 0) == 'e' || peek (lx, 0) == 'E')
    {
      g_string_append_c (lx->out, lx->s[lx->i++]);
      if (peek (lx, 0) == '+' || peek (lx, 0) == '-')
        g_string_append_c (lx->out, lx->s[lx->i++]);
      if (!g_ascii_isdigit (peek (lx, 0)))
        return fail (lx, error, "bad exponent");
      while (g_ascii_isdigit (peek (lx, 0)))
        g_string_append_c (lx->out, lx->s[lx->i++]);
    }
  if (is_ident_char (peek (lx, 0)))
    return fail (lx, error, "bad number");

  /* A numeric key ({1:...}) must become a string. */
  if (in_key_position (lx) && next_significant (lx, lx->i) == ':')
    {
      g_string_insert_c (lx->out, start, '"');
      g_string_append_c (lx->out, '"');
    }
  lx->last = '0';
  return TRUE;
}

static gboolean
copy_identifier (Lexer   *lx,
                 GError **error)
{
  gsize start = lx->i;
  while (is_ident_char (peek (lx, 0)))
    lx->i++;
  gsize n = lx->i - start;
  const char *word = lx->s + start;

  if (in_key_position (lx) && next_significant (lx, lx->i) == ':')
    {
      g_string_append_c (lx->out, '"');
      g_string_append_len (lx->out, word, n);
      g_string_append_c (lx->out, '"');
      lx->last = '"';
      return TRUE;
    }
  if ((n == 4 && (strncmp (word, "true", 4) == 0 ||
                  strncmp (word, "null", 4) == 0)) ||
      (n == 5 && strncmp (word, "false", 5) == 0))
    {
      g_string_append_len (lx->out, word, n);
      lx->last = 'l';
      return TRUE;
    }
  lx->i = start;
  return fail (lx, error, "unexpected identifier");
}

char *
_inc_js_object_to_json (const char *js,
                        gsize       len,
                        GError    **error)
{
  g_return_val_if_fail (js != NULL, NULL);

  Lexer lx = { js, len, 0, g_string_sized_new (len + len / 8), '\0' };

  while (lx.i < lx.len)
    {
      char c = lx.s[lx.i];
      gboolean ok = TRUE;

      if (g_ascii_isspace (c))
        g_string_append_c (lx.out, lx.s[lx.i++]);
      else if (strchr ("{}[]:,", c) != NULL)
        {
          g_string_append_c (lx.out, c);
          lx.last = c;
          lx.i++;
        }
      else if (c == '"' || c == '\'')
        ok = copy_string (&lx, error);
      else if (c == '!' && (peek (&lx, 1) == '0' || peek (&lx, 1) == '1') &&
               !is_ident_char (peek (&lx, 2)) && peek (&lx, 2) != '.')
        {
          g_string_append (lx.out, peek (&lx, 1) == '0' ? "true" : "false");
          lx.last = 'l';
          lx.i += 2;
        }
      else if (c == '-' && (g_ascii_isdigit (peek (&lx, 1)) ||
                            peek (&lx, 1) == '.'))
        {
          g_string_append_c (lx.out, '-');
          lx.i++;
          ok = copy_number (&lx, error);
        }
      else if (g_ascii_isdigit (c) ||
               (c == '.' && g_ascii_isdigit (peek (&lx, 1))))
        ok = copy_number (&lx, error);
      else if (is_ident_start (c))
        ok = copy_identifier (&lx, error);
      else
        ok = fail (&lx, error, "unexpected character");

      if (!ok)
        {
          g_string_free (lx.out, TRUE);
          return NULL;
        }
    }
  return g_string_free (lx.out, FALSE);
}

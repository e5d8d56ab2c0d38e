// Reference oracle for src/config/java-regex.test.ts: evaluates requests with java.util.regex.
// Run as a single-file program (`java --add-opens java.base/java.util.regex=ALL-UNNAMED JavaRegexOracle.java`)
// so the test suite needs no build step; one JVM answers a whole batch.
//
// Protocol: stdin carries one JSON object per line
//   {"id":"…","p":"<pattern>","f":<Pattern flags int>,"in":["input",…],"r":"<replacement>"|null}
// and stdout answers each line, in order, with one JSON object
//   {"id":"…","ok":true,"groupCount":n,"names":{"name":i},"results":[{…per input…}]}
//   {"id":"…","ok":false,"desc":"<PatternSyntaxException description>","index":i}
// Per input: "m" matches(), "f" first find() as [start,end,g1start,g1end,…] (-1 = unset) or null,
// "all" every [start,end] of the find() loop, "rep" replaceAll() result or {"err":…},
// "split" {"0":[…],"-1":[…],"2":[…]} keyed by limit. "budget":true replaces all of it when the
// input needed more than BUDGET character reads (catastrophic backtracking guard).
// Strings are written with every non-ASCII UTF-16 unit escaped, so lone surrogates survive.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

public class JavaRegexOracle {
  static final long BUDGET = 2_000_000;

  /** Counts character reads so a runaway backtracking case is reported instead of hanging the suite. */
  static final class Budgeted implements CharSequence {
    final String s;
    final long[] reads;

    Budgeted(String s, long[] reads) {
      this.s = s;
      this.reads = reads;
    }

    public int length() {
      return s.length();
    }

    public char charAt(int i) {
      if (++reads[0] > BUDGET) throw new BudgetExceeded();
      return s.charAt(i);
    }

    public CharSequence subSequence(int a, int b) {
      return s.subSequence(a, b);
    }

    public String toString() {
      return s;
    }
  }

  static final class BudgetExceeded extends RuntimeException {
    BudgetExceeded() {
      super(null, null, false, false);
    }
  }

  public static void main(String[] args) throws Exception {
    Method namedGroups = Pattern.class.getDeclaredMethod("namedGroups");
    namedGroups.setAccessible(true);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      @SuppressWarnings("unchecked")
      Map<String, Object> req = (Map<String, Object>) new Json(line).value();
      StringBuilder sb = new StringBuilder();
      sb.append("{\"id\":");
      str(sb, (String) req.get("id"));
      Pattern p;
      try {
        p = Pattern.compile((String) req.get("p"), ((Number) req.get("f")).intValue());
      } catch (PatternSyntaxException e) {
        sb.append(",\"ok\":false,\"desc\":");
        str(sb, e.getDescription());
        sb.append(",\"index\":").append(e.getIndex()).append('}');
        out.println(sb);
        continue;
      }
      sb.append(",\"ok\":true,\"groupCount\":").append(p.matcher("").groupCount()).append(",\"names\":{");
      @SuppressWarnings("unchecked")
      Map<String, Integer> names = (Map<String, Integer>) namedGroups.invoke(p);
      boolean first = true;
      for (Map.Entry<String, Integer> e : names.entrySet()) {
        if (!first) sb.append(',');
        first = false;
        str(sb, e.getKey());
        sb.append(':').append(e.getValue());
      }
      sb.append("},\"results\":[");
      String repl = (String) req.get("r");
      @SuppressWarnings("unchecked")
      List<Object> inputs = (List<Object>) req.get("in");
      for (int k = 0; k < inputs.size(); k++) {
        if (k > 0) sb.append(',');
        String s = (String) inputs.get(k);
        StringBuilder r = new StringBuilder();
        try {
          evaluate(p, s, repl, r);
          sb.append(r);
        } catch (BudgetExceeded e) {
          sb.append("{\"budget\":true}");
        } catch (StackOverflowError e) {
          sb.append("{\"stackOverflow\":true}");
        } catch (RuntimeException e) {
          // Java accepts a few class shapes it cannot match (e.g. `[[a]b&&]` throws NullPointerException).
          sb.append("{\"crash\":");
          str(sb, e.getClass().getSimpleName());
          sb.append('}');
        }
      }
      sb.append("]}");
      out.println(sb);
    }
    out.flush();
  }

  static void evaluate(Pattern p, String s, String repl, StringBuilder r) {
    long[] reads = {0};
    Matcher m = p.matcher(new Budgeted(s, reads));
    r.append("{\"m\":").append(m.matches());
    m.reset();
    r.append(",\"f\":");
    if (m.find()) {
      r.append('[').append(m.start()).append(',').append(m.end());
      for (int g = 1; g <= m.groupCount(); g++) r.append(',').append(m.start(g)).append(',').append(m.end(g));
      r.append(']');
    } else {
      r.append("null");
    }
    m.reset();
    r.append(",\"all\":[");
    boolean first = true;
    while (m.find()) {
      if (!first) r.append(',');
      first = false;
      r.append('[').append(m.start()).append(',').append(m.end()).append(']');
    }
    r.append(']');
    if (repl != null) {
      r.append(",\"rep\":");
      try {
        str(r, p.matcher(new Budgeted(s, reads)).replaceAll(repl));
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        r.append("{\"err\":");
        str(r, e.getClass().getSimpleName() + ": " + e.getMessage());
        r.append('}');
      }
    }
    r.append(",\"split\":{");
    int[] limits = {0, -1, 2};
    for (int i = 0; i < limits.length; i++) {
      if (i > 0) r.append(',');
      r.append('"').append(limits[i]).append("\":[");
      String[] parts = p.split(new Budgeted(s, reads), limits[i]);
      for (int j = 0; j < parts.length; j++) {
        if (j > 0) r.append(',');
        str(r, parts[j]);
      }
      r.append(']');
    }
    r.append("}}");
  }

  static void str(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') sb.append('\\').append(c);
      else if (c >= 0x20 && c < 0x7f) sb.append(c);
      else sb.append(String.format("\\u%04x", (int) c));
    }
    sb.append('"');
  }

  /** Just enough JSON for the request lines: objects, arrays, strings, numbers, true/false/null. */
  static final class Json {
    final String s;
    int i;

    Json(String s) {
      this.s = s;
    }

    Object value() {
      ws();
      char c = s.charAt(i);
      if (c == '{') {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (s.charAt(i) == '}') {
          i++;
          return m;
        }
        for (;;) {
          ws();
          String k = string();
          ws();
          expect(':');
          m.put(k, value());
          ws();
          if (s.charAt(i) == ',') {
            i++;
            continue;
          }
          expect('}');
          return m;
        }
      }
      if (c == '[') {
        i++;
        List<Object> l = new ArrayList<>();
        ws();
        if (s.charAt(i) == ']') {
          i++;
          return l;
        }
        for (;;) {
          l.add(value());
          ws();
          if (s.charAt(i) == ',') {
            i++;
            continue;
          }
          expect(']');
          return l;
        }
      }
      if (c == '"') return string();
      if (s.startsWith("null", i)) {
        i += 4;
        return null;
      }
      if (s.startsWith("true", i)) {
        i += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("false", i)) {
        i += 5;
        return Boolean.FALSE;
      }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
      return Double.parseDouble(s.substring(start, i));
    }

    String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      for (;;) {
        char c = s.charAt(i++);
        if (c == '"') return b.toString();
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> b.append('\n');
          case 'r' -> b.append('\r');
          case 't' -> b.append('\t');
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'u' -> {
            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> b.append(e);
        }
      }
    }

    void ws() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    void expect(char c) {
      if (s.charAt(i) != c) throw new IllegalStateException("expected " + c + " at " + i + " in " + s);
      i++;
    }
  }
}

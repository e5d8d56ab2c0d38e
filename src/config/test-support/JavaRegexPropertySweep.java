// Companion of verify-java-regex-properties.ts: for each pattern given on stdin (one per line), prints the
// code point ranges, within the swept planes, of the single characters that Pattern.matches() accepts:
//   <pattern>\t<lo>-<hi>,<lo>-<hi>,…
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class JavaRegexPropertySweep {
  public static void main(String[] args) throws Exception {
    int max = Integer.parseInt(args[0], 16);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      Matcher m = Pattern.compile(line).matcher("");
      StringBuilder sb = new StringBuilder(line).append('\t');
      int start = -1;
      for (int cp = 0; cp <= max + 1; cp++) {
        boolean hit = cp <= max && !(cp >= 0xd800 && cp <= 0xdfff) && m.reset(new String(Character.toChars(cp))).matches();
        if (hit && start < 0) start = cp;
        if (!hit && start >= 0) {
          sb.append(Integer.toHexString(start)).append('-').append(Integer.toHexString(cp - 1)).append(',');
          start = -1;
        }
      }
      System.out.println(sb);
    }
  }
}

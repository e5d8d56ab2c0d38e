// Differential-test helper: prints Flume's own BucketPath.escapeString for each stdin line, so flumen's escape
// formatter (src/sinks/util/bucket-path.ts) can be compared with Flume 1.11 byte for byte.
//
// Input, one case per line, tab-separated: template, time zone id ("" = JVM default), round unit
// ("" = no rounding, else second|minute|hour), round value, then header key=value pairs (one per field).
// Output, one line per case: the escaped string, or "ERR <exception class>".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Calendar;
import java.util.HashMap;
import java.util.Map;
import java.util.TimeZone;
import org.apache.flume.formatter.output.BucketPath;

public class BucketPathEscape {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.split("\t", -1);
      Map<String, String> headers = new HashMap<>();
      for (int i = 4; i < f.length; i++) {
        int eq = f[i].indexOf('=');
        if (eq > 0) headers.put(f[i].substring(0, eq), f[i].substring(eq + 1));
      }
      TimeZone tz = f[1].isEmpty() ? null : TimeZone.getTimeZone(f[1]);
      boolean round = !f[2].isEmpty();
      int unit = "hour".equals(f[2]) ? Calendar.HOUR_OF_DAY : "minute".equals(f[2]) ? Calendar.MINUTE : Calendar.SECOND;
      int value = f[3].isEmpty() ? 1 : Integer.parseInt(f[3]);
      try {
        out.append(BucketPath.escapeString(f[0], headers, tz, round, unit, value, false));
      } catch (RuntimeException e) {
        out.append("ERR ").append(e.getClass().getSimpleName());
      }
      out.append('\n');
    }
    System.out.print(out);
    System.out.flush();
  }
}

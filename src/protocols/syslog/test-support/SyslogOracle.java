// Differential-test oracle: Flume 1.11's own syslog parsers (org.apache.flume.source.SyslogUtils, used by
// syslogtcp/syslogudp, and SyslogParser, used by multiport_syslogtcp) on inputs sent by the TypeScript
// test, one request per line, one answer per line. Run with Java's single-file launcher and Flume's jars:
//   java -Duser.timezone=UTC -cp <flume classpath> SyslogOracle.java
// Request: mode TAB keepFields TAB eventSize TAB clockMillis TAB hex(bytes) [TAB hex(custom layout)]
//   custom layout: regex NUL search NUL replace NUL dateFormat (empty = absent), given to addFormats()
//   mode = tcp (SyslogUtils fed the bytes plus "\n"), udp (SyslogUtils, one datagram), parser (SyslogParser),
//          utf8 (new String(bytes, UTF_8) re-encoded: Java's replacement of malformed input)
// Answer: events separated by '|', each "hex(k)=hex(v),... hex(body)"; for parser: "INVALID" when Flume's
//   multiport handler would build an Invalid event (IllegalArgumentException), "CRASH <class>" when another
//   exception escapes (Flume then loses the rest of the read buffer).
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flume.Event;
import org.apache.flume.source.SyslogParser;
import org.apache.flume.source.SyslogUtils;

public class SyslogOracle {
  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length * 2);
    for (byte x : b) sb.append(String.format("%02x", x & 0xff));
    return sb.toString();
  }

  static byte[] unhex(String s) {
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    return out;
  }

  static String render(Event e) {
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (Map.Entry<String, String> h : e.getHeaders().entrySet()) {
      if (!first) sb.append(',');
      first = false;
      sb.append(hex(h.getKey().getBytes(StandardCharsets.UTF_8))).append('=')
          .append(hex(String.valueOf(h.getValue()).getBytes(StandardCharsets.UTF_8)));
    }
    return sb.append(' ').append(hex(e.getBody())).toString();
  }

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    System.setOut(System.err); // anything logged to stdout must not mix with answers
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    out.println(System.getProperty("java.version"));
    String line;
    while ((line = in.readLine()) != null) {
      String[] p = line.split("\t", -1);
      String mode = p[0];
      Set<String> keep = SyslogUtils.chooseFieldsToKeep(p[1]);
      int eventSize = Integer.parseInt(p[2]);
      Clock clock = Clock.fixed(Instant.ofEpochMilli(Long.parseLong(p[3])), ZoneId.systemDefault());
      byte[] bytes = unhex(p[4]);
      String answer;
      try {
        if (mode.equals("utf8")) {
          answer = hex(new String(bytes, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
        } else if (mode.equals("parser")) {
          try {
            Event e = new SyslogParser().parseMessage(
                new String(bytes, StandardCharsets.UTF_8), StandardCharsets.UTF_8, keep);
            answer = render(e);
          } catch (IllegalArgumentException ex) {
            answer = "INVALID";
          }
        } else {
          boolean udp = mode.equals("udp");
          SyslogUtils u = new SyslogUtils(udp ? 65536 : eventSize, keep, udp, clock);
          if (p.length > 5 && !p[5].isEmpty()) {
            String[] f = new String(unhex(p[5]), StandardCharsets.UTF_8).split("\u0000", -1);
            Map<String, String> fmt = new java.util.HashMap<>();
            String[] keys = {"regex", "search", "replace", "dateFormat"};
            for (int i = 0; i < keys.length; i++) if (!f[i].isEmpty()) fmt.put(keys[i], f[i]);
            u.addFormats(fmt);
          }
          ByteBuf buf = Unpooled.buffer();
          buf.writeBytes(bytes);
          if (!udp) buf.writeByte('\n');
          List<String> events = new ArrayList<>();
          if (udp) {
            Event e = u.extractEvent(buf);
            if (e != null) events.add(render(e));
          } else {
            while (buf.isReadable()) {
              Event e = u.extractEvent(buf);
              if (e != null) events.add(render(e));
            }
          }
          answer = String.join("|", events);
        }
      } catch (Throwable t) {
        answer = "CRASH " + t.getClass().getName();
      }
      out.println(answer);
    }
  }
}

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/testdb"
)

// maxPeakRSS is what the server may reach under the hostile battery: a
// refused request must cost about its body, never hundreds of times it.
const maxPeakRSS = 300 << 20

// attack is one hostile request of the battery.
type attack struct {
	name         string
	method, path string
	body         func() []byte
	times        int // how often it is sent
}

// TestHostileBatteryStaysSmall starts the real server and throws at it, from
// 8 clients at once, the requests that once took gigabytes or minutes: a
// Patient with 200,000 given names, a 15 MB Patient, a batch of 10,000
// searches, 200 _has clauses from 40 clients, thousands of OR values and sort
// keys, deep nesting, and a 3,000-entry transaction. None may get a 5xx, an
// ordinary read must still be answered meanwhile, and the server's peak
// resident memory must stay under maxPeakRSS.
func TestHostileBatteryStaysSmall(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends the whole hostile battery to a server process on each database")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's peak memory")
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "hostile.db")
			if dialect == "postgres" {
				db = testdb.PostgresSchemaURL(t)
			}
			p := startProcess(t, db)
			client := p.client
			patient := post(t, client, p.base+"/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Ordinary"}]}`)
			for i := 0; i < 50; i++ {
				post(t, client, p.base+"/fhir/Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final",`+
					`"code":{"text":"weight"},"subject":{"reference":"Patient/%s"},"valueQuantity":{"value":%d}}`, patient, 60+i))
			}
			before := peakRSS(t, p)

			var wg sync.WaitGroup
			work := make(chan attack)
			var mu sync.Mutex
			statuses := map[string]map[int]int{}
			for c := 0; c < 8; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for a := range work {
						status := send(client, a.method, p.base+"/fhir"+a.path, a.body())
						mu.Lock()
						if statuses[a.name] == nil {
							statuses[a.name] = map[int]int{}
						}
						statuses[a.name][status]++
						mu.Unlock()
					}
				}()
			}
			ordinary := make(chan time.Duration, 1)
			go func() {
				time.Sleep(500 * time.Millisecond) // with the battery under way
				start := time.Now()
				if status := send(client, "GET", p.base+"/fhir/Patient/"+patient, nil); status != http.StatusOK {
					t.Errorf("an ordinary read during the battery: status %d", status)
				}
				ordinary <- time.Since(start)
			}()
			for _, a := range battery() {
				for i := 0; i < a.times; i++ {
					work <- a
				}
			}
			close(work)
			wg.Wait()

			for _, a := range battery() {
				for status, n := range statuses[a.name] {
					if status == 0 || status >= 500 {
						t.Errorf("%s: %d× status %d (0: no answer)", a.name, n, status)
					}
				}
			}
			peak := peakRSS(t, p)
			t.Logf("%s: peak RSS %d MB before the battery, %d MB after; an ordinary read took %v during it; statuses %v",
				dialect, before>>20, peak>>20, <-ordinary, statuses)
			if peak > maxPeakRSS {
				t.Errorf("peak RSS %d MB, want under %d MB", peak>>20, maxPeakRSS>>20)
			}
			if status := send(client, "GET", p.base+"/fhir/Patient/"+patient, nil); status != http.StatusOK {
				t.Errorf("after the battery: read status %d", status)
			}
		})
	}
}

// battery lists the hostile requests; bodies are built when sent, so the
// test itself holds few of them at once.
func battery() []attack {
	givens := func(n int, size int) func() []byte {
		return func() []byte {
			var b bytes.Buffer
			b.WriteString(`{"resourceType":"Patient","name":[{"family":"X","given":[`)
			name := `"` + strings.Repeat("a", size) + `"`
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(name)
			}
			b.WriteString(`]}]}`)
			return b.Bytes()
		}
	}
	fixed := func(s string) func() []byte { return func() []byte { return []byte(s) } }
	none := func() []byte { return nil }
	orValues := make([]string, 5000)
	for i := range orValues {
		orValues[i] = "v" + strconv.Itoa(i)
	}
	has := make([]string, 200)
	for i := range has {
		has[i] = "_has:Observation:subject:code=c" + strconv.Itoa(i)
	}
	sorts := make([]string, 1000)
	for i := range sorts {
		sorts[i] = "family"
	}
	return []attack{
		{name: "200,000 given names", method: "POST", path: "/Patient", body: givens(200000, 2), times: 4},
		{name: "15 MB Patient", method: "POST", path: "/Patient", body: givens(15000, 1000), times: 2},
		{name: "one 15 MB string", method: "POST", path: "/Patient", body: fixed(`{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("b", 15<<20) + `"}]}`), times: 2},
		{name: "deep nesting", method: "POST", path: "/Patient", body: fixed(`{"resourceType":"Patient","extension":` + strings.Repeat(`[{"extension":`, 50000) + `[]` + strings.Repeat(`}]`, 50000) + `}`), times: 2},
		{name: "batch of 10,000 searches", method: "POST", path: "", body: func() []byte {
			var b bytes.Buffer
			b.WriteString(`{"resourceType":"Bundle","type":"batch","entry":[`)
			for i := 0; i < 10000; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`{"request":{"method":"GET","url":"Observation?_count=1000&_include=Observation:subject"}}`)
			}
			b.WriteString(`]}`)
			return b.Bytes()
		}, times: 4},
		{name: "3,000-entry transaction", method: "POST", path: "", body: func() []byte {
			var b bytes.Buffer
			b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
			for i := 0; i < 3000; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","request":{"method":"POST","url":"Patient"},`+
					`"resource":{"resourceType":"Patient","name":[{"family":"Bulk%d","given":["A","B"]}],"gender":"female"}}`, i, i)
			}
			b.WriteString(`]}`)
			return b.Bytes()
		}, times: 2},
		{name: "200 _has clauses", method: "GET", path: "/Patient?" + strings.Join(has, "&"), body: none, times: 40},
		{name: "5,000 OR values", method: "GET", path: "/Patient?family=" + strings.Join(orValues, ","), body: none, times: 8},
		{name: "1,000 sort keys", method: "GET", path: "/Patient?_sort=" + strings.Join(sorts, ","), body: none, times: 8},
		{name: "includes iterated", method: "GET", path: "/Observation?_count=1000&_include=Observation:subject&_revinclude:iterate=Observation:subject", body: none, times: 8},
		{name: "malformed escapes", method: "GET", path: "/Patient?family=O%Brien&" + url.Values{"gender": {"female"}}.Encode(), body: none, times: 8},
	}
}

// post creates a resource and returns its id.
func post(t *testing.T, client *http.Client, url, body string) string {
	t.Helper()
	resp, err := client.Post(url, "application/fhir+json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	loc := resp.Header.Get("Location")
	parts := strings.Split(loc, "/")
	if len(parts) < 4 {
		t.Fatalf("POST %s: Location %q", url, loc)
	}
	return parts[len(parts)-3]
}

// send makes one request and returns its status, 0 when none came.
func send(client *http.Client, method, url string, body []byte) int {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// peakRSS is the server process's peak resident memory (VmHWM), in bytes.
func peakRSS(t *testing.T, p *process) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/pid/status")
	return 0
}

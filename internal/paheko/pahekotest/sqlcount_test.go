package pahekotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// readBodyCapture reads the later captures' format: the JSON request body
// on a "> [body] " line, the answer's body after "### body:".
func readBodyCapture(t *testing.T, name string) (req, resp []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Skip("shared fixtures not found beside the project")
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if b, ok := strings.CutPrefix(line, "> [body] "); ok {
			req = []byte(b)
		}
	}
	_, body, _ := bytes.Cut(raw, []byte("### body:\n"))
	return req, body
}

// /api/sql's count is the number of rows without the LIMIT (captures 62,
// 63, taken on an instance of 304 members whose first two are these).
func TestSQLCountIgnoresLimit(t *testing.T) {
	s := NewServer(t)
	s.AddKey("k", "secret-0001", LevelRead)
	if err := s.SetMemberField(1, "nom", "Admin Vélo"); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 304; i++ {
		name := fmt.Sprintf("Membre %d", i)
		if i == 2 {
			name = "Nathan Leroux"
		}
		if _, err := s.AddMember(Member{Fields: map[string]any{"nom": name}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"62-sql-count-ignores-limit.txt", "63-sql-limit-zero-count.txt"} {
		t.Run(name, func(t *testing.T) {
			reqBody, want := readBodyCapture(t, name)
			req, _ := http.NewRequest("POST", s.URL()+"/api/sql", bytes.NewReader(reqBody))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth("k", "secret-0001")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got, w any
			json.NewDecoder(resp.Body).Decode(&got)
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("got %v\nwant %v", got, w)
			}
		})
	}
}

// Two user/new at the same moment: the second fails with a 500, as the real
// server's error log showed (assumed shape: not captured as an exchange).
func TestSimultaneousCreatesFail(t *testing.T) {
	s := NewServer(t)
	s.AddKey("w", "secret-0002", LevelWrite)
	s.SlowCreate(100 * time.Millisecond)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"nom":"Parallèle %d"}`, i)
			req, _ := http.NewRequest("POST", s.URL()+"/api/user/new", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth("w", "secret-0002")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if statuses[0] != 200 || statuses[1] != 500 {
		t.Errorf("statuses %v, want [200 500]", statuses)
	}
}

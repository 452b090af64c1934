// Llama
